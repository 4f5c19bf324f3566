import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** What a Standard SSM parameter holds (bytes of its value). */
export const BACKEND_PARAMETER_MAX_BYTES = 4096;

/** What SSM allows in a parameter name, besides the `/` of its hierarchy. */
const NAME_CHARACTER = /[A-Za-z0-9_.-]/;

export interface BackendParametersProps {
  /** The backends, a `{ "backends": [...] }` document already checked (context `backends`); its entries are stored as given. */
  readonly document: { readonly backends: readonly unknown[] };
  /**
   * The path every backend's parameter is under.
   * @default `/<stack name>/backends`
   */
  readonly path?: string;
}

/**
 * The storage backends as SSM Parameter Store String parameters, one per backend,
 * `<path>/<host>/<backend>`, each the JSON of the backend's entry. The functions with a driver read them
 * once per cold start (GetParametersByPath: lambdas/adapters/ssm/backend-parameters.ts) instead of an
 * environment variable, which Lambda limits to 4 KB in all: about six file-system backends. One backend
 * must fit one Standard parameter (4 KB), or synth fails naming it.
 */
export class BackendParameters extends Construct {
  readonly path: string;
  readonly parameters: readonly ssm.StringParameter[];

  constructor(scope: Construct, id: string, props: BackendParametersProps) {
    super(scope, id);
    this.path = props.path ?? `/${Stack.of(this).stackName}/backends`;
    const names = new Map<string, string>();
    this.parameters = props.document.backends.map((entry, index) => {
      const { host, backend } = namesOf(entry, index);
      const value = JSON.stringify(entry);
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes > BACKEND_PARAMETER_MAX_BYTES) {
        throw new Error(
          `context backends: backend "${host}@${backend}" is ${bytes} bytes of JSON, more than the ${BACKEND_PARAMETER_MAX_BYTES} an SSM parameter holds: ` +
            'split its pools over two backends, or shorten it (leave out settings that are the defaults)',
        );
      }
      const name = `${this.path}/${segment(host)}/${segment(backend)}`;
      const other = names.get(name);
      if (other !== undefined) throw new Error(`context backends: backends "${other}" and "${host}@${backend}" would share the SSM parameter ${name}; rename one`);
      names.set(name, `${host}@${backend}`);
      return new ssm.StringParameter(this, `Backend${index}`, {
        parameterName: name,
        stringValue: value,
        tier: ssm.ParameterTier.STANDARD,
        description: `share-migration: storage backend ${host}@${backend}`,
      });
    });
  }

  /** The path's ARN, what ssm:GetParametersByPath is authorized on. */
  get pathArn(): string {
    return Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: this.path.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }
}

/** `host` (default `efs`, as the EFS driver's) and `backend` of an entry the stack has already checked. */
function namesOf(entry: unknown, index: number): { host: string; backend: string } {
  const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  const backend = fields['backend'];
  if (typeof backend !== 'string') throw new Error(`context backends: backends[${index}] has no "backend" name`);
  return { host: typeof fields['host'] === 'string' ? fields['host'] : 'efs', backend };
}

/** A host or backend name as a parameter name segment: a character SSM refuses (`:` of a host) becomes `_`. */
function segment(name: string): string {
  return [...name].map((character) => (NAME_CHARACTER.test(character) ? character : '_')).join('');
}
