/**
 * The state machine definition as the CDK app synthesizes it, for the local runtime: the same stack is
 * built in-process (no bundling, no image asset), the template's DefinitionString has its
 * CloudFormation intrinsics resolved to local values, and every Task state is mapped to what runs it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntrinsicResolver, defaultResourceArn, type IntrinsicEnvironment } from './cfn-intrinsics.ts';

/** What runs a Task state. */
export type TaskBinding =
  /** A step Lambda invoked directly: the state is its event, its return value the next state. */
  | { readonly kind: 'lambda'; readonly step: string }
  /** A step Lambda invoked with a task token (`lambda:invoke.waitForTaskToken`); the execution waits for the token. */
  | { readonly kind: 'lambda-callback'; readonly step: string }
  /** A copy pass (`ecs:runTask.sync`); the copy task's job is in the container overrides. */
  | { readonly kind: 'ecs-run-task' }
  /** A handover (`states:startExecution`): a new execution of this same state machine, by name and input. */
  | { readonly kind: 'start-execution' };

export interface SynthesizedWorkflow {
  /**
   * The ASL definition, every CloudFormation intrinsic resolved to a local value, adapted to
   * aws-local-stepfunctions without changing its meaning: timeouts and waits longer than Node's
   * timers allow are shortened to `MAX_LOCAL_TIMEOUT_SECONDS`, an explicit `ResultPath: "$"` is dropped.
   */
  readonly definition: Record<string, unknown>;
  /** Every Task state, by state name (nested states included). */
  readonly tasks: Readonly<Record<string, TaskBinding>>;
}

export interface LoadSynthesizedWorkflowOptions {
  /**
   * Keep the result in this folder, keyed by a hash of the sources it depends on (cdk/, cdk.json, the
   * workflow contract and the table schema), and reuse it while they are unchanged. The install step
   * (`npm install`'s postinstall, local/synthesize-workflow.ts) fills `PROJECT_CACHE_DIR`, so a start
   * reads a file instead of loading aws-cdk-lib (seconds and hundreds of MB).
   * @default - no cache: synthesize every time
   */
  readonly cacheDir?: string;
}

/** The account, region and partition the local ARNs use. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';
export const LOCAL_PARTITION = 'aws';

/** The local ARN of the Lambda function with this logical id in the template. */
export function localLambdaArn(logicalId: string): string {
  return `arn:${LOCAL_PARTITION}:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
}

/**
 * Resources become local names and ARNs in region `local`: a Lambda function's ARN names its logical id,
 * which is how Task states are mapped back to handlers.
 */
const LOCAL_ENVIRONMENT: IntrinsicEnvironment = {
  partition: LOCAL_PARTITION,
  region: LOCAL_REGION,
  account: LOCAL_ACCOUNT,
  stackName: 'local',
  ref: (logicalId, type, env) => (type === 'AWS::ECS::TaskDefinition' || type === STATE_MACHINE ? localArn(logicalId, type, env) : logicalId),
  getAtt: (logicalId, attribute, type, env) => (attribute === 'Arn' ? localArn(logicalId, type, env) : `${logicalId}.${attribute}`),
};

function localArn(logicalId: string, type: string, env: IntrinsicEnvironment): string {
  return type === LAMBDA_FUNCTION ? localLambdaArn(logicalId) : defaultResourceArn(logicalId, type, env);
}

/**
 * The longest timeout aws-local-stepfunctions can honour (about 24.8 days): it uses setTimeout, which
 * fires at once for delays above 2^31-1 ms, so the 365-day wait for migration_complete would time out
 * immediately.
 */
export const MAX_LOCAL_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The environment variable naming the handler of a Lambda resource (cdk/lib/migration-function.ts). */
const STEP_NAME_ENV = 'STEP_NAME';
const LAMBDA_FUNCTION = 'AWS::Lambda::Function';
const STATE_MACHINE = 'AWS::StepFunctions::StateMachine';
const CALLBACK_RESOURCE = `arn:${LOCAL_PARTITION}:states:::lambda:invoke.waitForTaskToken`;
const ECS_RUN_TASK_SYNC_RESOURCE = `arn:${LOCAL_PARTITION}:states:::ecs:runTask.sync`;
const START_EXECUTION_RESOURCE = `arn:${LOCAL_PARTITION}:states:::states:startExecution`;

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the synthesized definition depends on, besides installed packages. */
const SOURCES = ['cdk', 'cdk.json', 'lambdas/core/workflow.ts', 'lambdas/core/workflow-limits.ts', 'lambdas/adapters/dynamodb/table-schema.ts', 'local/synthesized-definition.ts'];
const CACHE_FORMAT = 4;

/**
 * The project's cache of synthesized definitions, filled at install time and read at every start (a
 * build product like node_modules itself, so a fresh data folder starts as fast as an old one).
 */
export const PROJECT_CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'share-migration');

/**
 * The state machine, from the cache when it holds the current sources' definition, else synthesized
 * in-process (aws-cdk-lib is imported only then) and written to the cache for the next start.
 */
export async function loadSynthesizedWorkflow(options: LoadSynthesizedWorkflowOptions = {}): Promise<SynthesizedWorkflow> {
  if (options.cacheDir === undefined) return workflowFromTemplate(await synthesizeTemplate());

  const cacheFile = await cachedWorkflowFile(options.cacheDir);
  const cached = await readJson(cacheFile).catch(() => undefined); // unreadable: synthesize again
  if (cached !== undefined) return cached as SynthesizedWorkflow;
  const workflow = workflowFromTemplate(await synthesizeTemplate());
  try {
    await fs.mkdir(options.cacheDir, { recursive: true });
    const partial = `${cacheFile}.${process.pid}.tmp`;
    await fs.writeFile(partial, JSON.stringify(workflow));
    // Not secret (it is built from the sources), and shared by every user of this installation, whatever
    // umask the process that missed the cache runs with (npm start narrows it to 077).
    await fs.chmod(partial, 0o644);
    await fs.rename(partial, cacheFile);
  } catch {
    // A cache that cannot be written (an installation this user cannot write to) costs time, not correctness.
  }
  return workflow;
}

/** Where the cache in `cacheDir` keeps the definition of the current sources. */
export async function cachedWorkflowFile(cacheDir: string): Promise<string> {
  return path.join(cacheDir, `synthesized-workflow-${await sourcesHash()}.json`);
}

/** A CloudFormation template, as far as this module reads it. */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

/** The state machine of a synthesized template (from `cdk synth` or in-process), resolved, adapted and classified. */
export function workflowFromTemplate(template: CfnTemplate): SynthesizedWorkflow {
  const definition = resolveDefinition(template);
  adaptForLocalRuntime(definition);
  return { definition, tasks: classifyTasks(definition, template) };
}

/** The template's one state machine definition, exactly as deployed but with its intrinsics resolved to local values. */
export function resolveDefinition(template: CfnTemplate): Record<string, unknown> {
  const machines = Object.entries(template.Resources).filter(([, resource]) => resource.Type === STATE_MACHINE);
  if (machines.length !== 1) {
    throw new Error(`Expected exactly one ${STATE_MACHINE} in the template, found ${machines.length}`);
  }
  const [logicalId, machine] = machines[0]!;
  const properties = machine.Properties ?? {};
  const resolver = new IntrinsicResolver(template, LOCAL_ENVIRONMENT);
  const resolved = resolver.resolve(properties.DefinitionString);
  if (typeof resolved !== 'string') {
    throw new Error(`${logicalId}: DefinitionString did not resolve to a string (DefinitionBody and DefinitionS3Location are not supported)`);
  }
  let text = resolved;
  const substitutions = resolver.resolve(properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(substitutions)) text = text.split(`\${${key}}`).join(String(value));
  return JSON.parse(text) as Record<string, unknown>;
}

async function synthesizeTemplate(): Promise<CfnTemplate> {
  const [{ App, Annotations }, { ContainerImage }, { ShareMigrationStack, STACK_NAME }] = await Promise.all([
    import('aws-cdk-lib'),
    import('aws-cdk-lib/aws-ecs'),
    import('../cdk/lib/share-migration-stack.ts'),
  ]);
  const outdir = await fs.mkdtemp(path.join(os.tmpdir(), 'smig-synth-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...(await cdkJsonContext()),
        // No esbuild and no asset copies: only the template is read.
        'aws:cdk:bundling-stacks': [],
        'aws:cdk:disable-asset-staging': true,
      },
    });
    const stack = new ShareMigrationStack(app, STACK_NAME, {
      // The definition does not depend on the image; this skips the Docker asset and its fingerprint.
      copyImage: ContainerImage.fromRegistry('share-migration/copy-task:local'),
    });
    // The embedded runtime reads its own backends; the deploy-time warning about none is not for it.
    Annotations.of(stack).acknowledgeWarning('share-migration:no-backends', 'the local runtime configures its own backends');
    return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  } finally {
    await fs.rm(outdir, { recursive: true, force: true });
  }
}

/** The feature flags of cdk.json, so the in-process synth renders what `cdk synth` renders. */
async function cdkJsonContext(): Promise<Record<string, unknown>> {
  const cdkJson = (await readJson(path.join(REPO_ROOT, 'cdk.json'))) as { context?: Record<string, unknown> } | undefined;
  return cdkJson?.context ?? {};
}

/** Maps every Task state, nested ones too, to what runs it; fails on a Task this runtime cannot run. */
function classifyTasks(definition: Record<string, unknown>, template: CfnTemplate): Record<string, TaskBinding> {
  const tasks: Record<string, TaskBinding> = {};
  const stepOfArn = (arn: unknown, stateName: string): string => {
    const prefix = localLambdaArn('');
    const logicalId = typeof arn === 'string' && arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
    const resource = logicalId === undefined ? undefined : template.Resources[logicalId];
    if (resource?.Type !== LAMBDA_FUNCTION) {
      throw new Error(`Task "${stateName}": ${JSON.stringify(arn)} is not a Lambda function of the template`);
    }
    const environment = resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
    const step = environment?.Variables?.[STEP_NAME_ENV];
    if (typeof step !== 'string') throw new Error(`Task "${stateName}": function ${logicalId} has no ${STEP_NAME_ENV} in its environment`);
    return step;
  };

  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const resource = state.Resource;
    if (resource === CALLBACK_RESOURCE) {
      const parameters = state.Parameters as Record<string, unknown> | undefined;
      tasks[name] = { kind: 'lambda-callback', step: stepOfArn(parameters?.FunctionName, name) };
    } else if (resource === ECS_RUN_TASK_SYNC_RESOURCE) {
      tasks[name] = { kind: 'ecs-run-task' };
    } else if (resource === START_EXECUTION_RESOURCE) {
      tasks[name] = { kind: 'start-execution' };
    } else if (typeof resource === 'string' && resource.startsWith(localLambdaArn(''))) {
      tasks[name] = { kind: 'lambda', step: stepOfArn(resource, name) };
    } else {
      throw new Error(`Task "${name}": the local runtime cannot run Resource ${JSON.stringify(resource)}`);
    }
  }
  return tasks;
}

/**
 * Adapts the definition to aws-local-stepfunctions 3 without changing its meaning, in place: timeouts
 * Node's timers cannot wait for are shortened (see MAX_LOCAL_TIMEOUT_SECONDS), an explicit
 * `ResultPath: "$"` (the default, which it would store under a "$" key) is dropped, and a task's
 * TimeoutSecondsPath is also copied into its Parameters: Step Functions reads that path from the
 * state input, aws-local-stepfunctions from the Parameters' output.
 */
export function adaptForLocalRuntime(machine: Record<string, unknown>): void {
  const clamp = (holder: Record<string, unknown>, key: string): void => {
    const value = holder[key];
    if (typeof value === 'number' && value > MAX_LOCAL_TIMEOUT_SECONDS) holder[key] = MAX_LOCAL_TIMEOUT_SECONDS;
  };
  clamp(machine, 'TimeoutSeconds');
  for (const [, state] of allStates(machine)) {
    if (state.Type === 'Task') for (const key of ['TimeoutSeconds', 'HeartbeatSeconds']) clamp(state, key);
    if (state.Type === 'Wait') clamp(state, 'Seconds');
    if (state.ResultPath === '$') delete state.ResultPath;
    const timeoutPath = state.TimeoutSecondsPath;
    const parameters = state.Parameters as Record<string, unknown> | undefined;
    if (typeof timeoutPath === 'string' && /^\$\.[A-Za-z_][A-Za-z0-9_]*$/.test(timeoutPath) && parameters !== undefined) {
      parameters[`${timeoutPath.slice(2)}.$`] = timeoutPath;
    }
  }
}

export type AslState = Record<string, unknown> & { readonly Type?: unknown; readonly Resource?: unknown };

/** Every state of the machine with its name: top level, Parallel branches and Map processors. */
export function* allStates(machine: Record<string, unknown>): Generator<[string, AslState]> {
  const states = (machine.States ?? {}) as Record<string, AslState>;
  for (const [name, state] of Object.entries(states)) {
    yield [name, state];
    for (const branch of (state.Branches ?? []) as Record<string, unknown>[]) yield* allStates(branch);
    for (const key of ['Iterator', 'ItemProcessor'] as const) {
      const nested = state[key] as Record<string, unknown> | undefined;
      if (nested !== undefined) yield* allStates(nested);
    }
  }
}

async function sourcesHash(): Promise<string> {
  const hash = createHash('sha256').update(`format ${CACHE_FORMAT}\n`);
  const files = (await Promise.all(SOURCES.map((source) => filesUnder(path.join(REPO_ROOT, source))))).flat().sort();
  for (const file of files) {
    hash.update(`${path.relative(REPO_ROOT, file)}\n`).update(await fs.readFile(file)).update('\n');
  }
  const cdkLib = await readJson(path.join(REPO_ROOT, 'node_modules/aws-cdk-lib/package.json'));
  hash.update(`aws-cdk-lib ${(cdkLib as { version?: string } | undefined)?.version}\n`);
  return hash.digest('hex').slice(0, 16);
}

async function filesUnder(entry: string): Promise<string[]> {
  const stat = await fs.stat(entry).catch(() => undefined);
  if (stat === undefined) return [];
  if (!stat.isDirectory()) return [entry];
  const names = await fs.readdir(entry, { recursive: true, withFileTypes: true });
  return names.filter((dirent) => dirent.isFile()).map((dirent) => path.join(dirent.parentPath, dirent.name));
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
