/**
 * The AWS calls a Lambda bundle can make, derived from the bundle itself: the entry is bundled by esbuild
 * as the CDK stack bundles it (SERVICE_FUNCTION_BUNDLING: ESM, node22, the AWS SDK inside), and the
 * metafile says which modules kept code in the output. A call is an SDK command that (1) a module of
 * ours in the bundle imports from an @aws-sdk package and (2) is in the bundle itself. Every other SDK
 * command in the bundle must be one of SDK_INTERNALS, which our code never sends under its role.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { SERVICE_FUNCTION_BUNDLING } from '../../cdk/lib/service-function.ts';
import { REPO_ROOT } from '../../cdk/lib/paths.ts';

/** An SDK command in a bundle: its package (`client-efs`, `lib-dynamodb`...) and command name without `Command`. */
export interface SdkCommand {
  readonly pkg: string;
  readonly command: string;
}

export interface BundleCalls {
  /** The IAM actions of the commands our code in the bundle sends, sorted. */
  readonly actions: readonly string[];
  /** SDK commands in the bundle that our code does not send and that are no known SDK internal: must be none. */
  readonly unexplained: readonly string[];
  /** Bytes of the bundle's code (the source map besides it not counted). */
  readonly bytes: number;
}

/** Each @aws-sdk package's IAM service prefix. A package missing here fails the derivation: add it with its prefix. */
const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  'client-dynamodb': 'dynamodb',
  'lib-dynamodb': 'dynamodb',
  'client-efs': 'elasticfilesystem',
  'client-ecs': 'ecs',
  'client-sfn': 'states',
  'client-eventbridge': 'events',
  'client-scheduler': 'scheduler',
  'client-secrets-manager': 'secretsmanager',
  'client-ssm': 'ssm',
  'client-cloudwatch': 'cloudwatch',
};

/** lib-dynamodb's document commands send the client's item commands (the IAM action is the item command's). */
const DOCUMENT_COMMANDS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/**
 * SDK commands a bundle holds that the function does not send with its role, each with why. Matched on
 * `<package>:<command>`; `*` for any command of the package.
 */
export const SDK_INTERNALS: Readonly<Record<string, string>> = {
  // @aws-sdk/credential-provider-node's chain: STS, SSO, SSO OIDC and sign-in clients that obtain
  // credentials when the environment has none. On Lambda the runtime puts the role's credentials in the
  // environment, so none of them is called (and they would not be authorized by the role's policy).
  'nested-clients:*': 'credential providers, unused where the environment holds credentials (Lambda, ECS task role)',
  // DynamoDBClient's endpoint discovery sends DescribeEndpoints only when enabled (AWS_ENABLE_ENDPOINT_DISCOVERY),
  // which the stack does not set.
  'client-dynamodb:DescribeEndpoints': 'endpoint discovery, off unless enabled',
  // lib-dynamodb declares no `sideEffects: false`, so its paginators (paginateQuery, paginateScan) stay in
  // every bundle that imports it, with their commands; they send only when called, and no module of ours
  // imports them (an import of paginateX counts as sending X).
  'lib-dynamodb:Query': 'kept by lib-dynamodb\'s paginateQuery, which no module of ours uses',
  'lib-dynamodb:Scan': 'kept by lib-dynamodb\'s paginateScan, which no module of ours uses',
  'client-dynamodb:Query': 'the client command under lib-dynamodb\'s paginateQuery',
  'client-dynamodb:Scan': 'the client command under lib-dynamodb\'s paginateScan',
};

const SDK_COMMAND_MODULE = /(?:^|\/)node_modules\/@aws-sdk\/([\w-]+)\/dist-es\/(?:submodules\/[\w-]+\/)?commands\/(\w+)Command\.js$/;

/**
 * `import ... from '@aws-sdk/<package>'` statements; `import type` is erased. Value names that are
 * `<X>Command` or `paginate<X>` count as sending X.
 */
const SDK_IMPORT = /^\s*import\s+(type\s+)?\{([^}]*)\}\s+from\s+['"]@aws-sdk\/([\w-]+)['"]/gm;

/** Bundles `entry` (repository-relative) as the stack bundles a function, and derives its AWS calls. */
export async function bundleCalls(entry: string): Promise<BundleCalls> {
  const result = await build({
    entryPoints: [resolve(REPO_ROOT, entry)],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    outfile: 'index.mjs',
    platform: 'node',
    format: SERVICE_FUNCTION_BUNDLING.format,
    target: SERVICE_FUNCTION_BUNDLING.target,
    mainFields: [...SERVICE_FUNCTION_BUNDLING.mainFields],
    external: [...SERVICE_FUNCTION_BUNDLING.externalModules],
    banner: { js: SERVICE_FUNCTION_BUNDLING.banner },
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  const included = Object.entries(output!.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path);

  const inBundle = new Set(included.flatMap((path) => {
    const match = SDK_COMMAND_MODULE.exec(path);
    return match ? [`${match[1]}:${match[2]}`] : [];
  }));
  const sent = new Set(included.filter((path) => !/(?:^|\/)node_modules\//.test(path)).flatMap(sdkCommandsImportedBy).map(({ pkg, command }) => `${pkg}:${command}`));

  const actions = new Set<string>();
  const explained = new Set<string>();
  for (const key of sent) {
    if (!inBundle.has(key)) continue;
    const [pkg, command] = key.split(':') as [string, string];
    actions.add(iamAction({ pkg, command }));
    explained.add(key);
    if (pkg === 'lib-dynamodb') explained.add(`client-dynamodb:${DOCUMENT_COMMANDS[command]}`);
  }
  const unexplained = [...inBundle].filter((key) => !explained.has(key) && !isSdkInternal(key, sent)).sort();
  return { actions: [...actions].sort(), unexplained, bytes: output!.bytes };
}

/** The `pkg:command` of every SDK command a module of ours imports (a `paginate<X>` import counts as X). */
function sdkCommandsImportedBy(path: string): SdkCommand[] {
  const text = readFileSync(resolve(REPO_ROOT, path), 'utf8');
  const commands: SdkCommand[] = [];
  for (const [, typeOnly, names = '', pkg = ''] of text.matchAll(SDK_IMPORT)) {
    if (typeOnly) continue;
    for (const name of names.split(',').map((n) => n.trim()).filter((n) => n !== '' && !n.startsWith('type '))) {
      const imported = name.split(/\s+as\s+/)[0]!;
      const command = /^(\w+)Command$/.exec(imported)?.[1] ?? /^paginate(\w+)$/.exec(imported)?.[1];
      if (command !== undefined) commands.push({ pkg, command });
    }
  }
  return commands;
}

/** `<service prefix>:<action>` of an SDK command. */
export function iamAction({ pkg, command }: SdkCommand): string {
  const prefix = SERVICE_PREFIX[pkg];
  if (prefix === undefined) throw new Error(`No IAM service prefix for @aws-sdk/${pkg} (command ${command}): add it to SERVICE_PREFIX in test/cdk/bundle-calls.ts`);
  if (pkg !== 'lib-dynamodb') return `${prefix}:${command}`;
  const item = DOCUMENT_COMMANDS[command];
  if (item === undefined) throw new Error(`No DynamoDB action for lib-dynamodb's ${command}Command: add it to DOCUMENT_COMMANDS in test/cdk/bundle-calls.ts`);
  return `${prefix}:${item}`;
}

/** A known SDK internal, unless our code sends it itself. */
function isSdkInternal(key: string, sent: ReadonlySet<string>): boolean {
  if (sent.has(key)) return false;
  const [pkg] = key.split(':') as [string];
  return SDK_INTERNALS[key] !== undefined || SDK_INTERNALS[`${pkg}:*`] !== undefined;
}
