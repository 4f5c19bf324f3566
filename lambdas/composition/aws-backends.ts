/**
 * The storage backends a deployment on AWS can serve. Only `"kind": "efs"` backends work there: a
 * local-folder backend (no kind, or `"kind": "local"`) is a folder the functions and the copy task would
 * have to mount, and the stack mounts none. Local-folder backends are for the embedded runtime
 * (`npm start`, local/), which reads its own backends file.
 *
 * Checked twice with the same words: by the CDK stack at synth (its `backends` context), and by a
 * function's composition at its start (the backends' SSM parameters, factories/efs-drivers.ts), so neither
 * serves a backend it cannot reach.
 */

/** The backends on AWS name one that cannot work there. Raised at synth or at a function's start. */
export class UndeployableBackendError extends Error {
  override readonly name = 'UndeployableBackendError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Throws UndeployableBackendError, naming the entry and what to do, unless every entry of the
 * document's `backends` has `"kind": "efs"`. `source` says where the document came from, as the
 * message's prefix (e.g. `context backends`, `SSM parameters under /<stack>/backends`). A document without a `backends` array
 * is left to the EFS driver's own check.
 */
export function checkDeployableBackends(document: unknown, source: string): void {
  const entries = (document as { backends?: unknown } | null)?.backends;
  if (!Array.isArray(entries)) return;
  entries.forEach((entry: unknown, index) => {
    const fields = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    if (fields['kind'] === 'efs') return;
    const name = typeof fields['backend'] === 'string' ? ` ("${fields['backend']}")` : '';
    const what = fields['kind'] === undefined ? 'has no "kind": it is a local-folder backend' : `has "kind": ${JSON.stringify(fields['kind'])}`;
    throw new UndeployableBackendError(
      `${source}: backends[${index}]${name} ${what}. Only "kind": "efs" backends can be deployed on AWS, as the functions and ` +
        'the copy task mount no local folders: describe it as an EFS backend ("kind": "efs", see lambdas/drivers/efs/README.md) ' +
        'or leave it out. Local-folder backends are for the embedded runtime (npm start).',
    );
  });
}
