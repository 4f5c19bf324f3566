import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';

/** A parameter under the backends path is not a backend's JSON entry. */
export class BackendParameterError extends Error {
  override readonly name = 'BackendParameterError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The storage backends of a deployment as SSM Parameter Store String parameters, one per backend under
 * one path (the CDK stack writes them: cdk/lib/backend-parameters.ts), each the JSON of one entry of a
 * `{ "backends": [...] }` document. They live there rather than in the functions' environment, which
 * Lambda limits to 4 KB in all.
 */
export class SsmBackendParameters {
  private readonly client: SSMClient;
  private readonly path: string;

  constructor(client: SSMClient, path: string) {
    if (!path.startsWith('/')) throw new BackendParameterError(`The backends parameter path must start with "/" (got "${path}")`);
    this.client = client;
    this.path = path;
  }

  /**
   * `{ "backends": [...] }` of every parameter under the path, ordered by parameter name, read page by page
   * (GetParametersByPath answers at most 10 per page). No parameter: no backends.
   */
  async read(): Promise<{ backends: unknown[] }> {
    const found: { name: string; value: string }[] = [];
    let next: string | undefined;
    do {
      const page = await this.client.send(new GetParametersByPathCommand({ Path: this.path, Recursive: true, MaxResults: 10, ...(next ? { NextToken: next } : {}) }));
      for (const parameter of page.Parameters ?? []) found.push({ name: parameter.Name ?? '', value: parameter.Value ?? '' });
      next = page.NextToken;
    } while (next);
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { backends: found.map(({ name, value }) => entryOf(name, value)) };
  }
}

function entryOf(name: string, value: string): unknown {
  let entry: unknown;
  try {
    entry = JSON.parse(value);
  } catch (error) {
    throw new BackendParameterError(`SSM parameter ${name} is not a backend's JSON (${(error as Error).message}); the stack writes one JSON object per backend`, { cause: error });
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new BackendParameterError(`SSM parameter ${name} is not a backend's JSON object; the stack writes one JSON object per backend`);
  }
  return entry;
}
