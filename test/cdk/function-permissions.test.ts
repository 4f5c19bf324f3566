import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXECUTION_ENDED_ENTRY, stepEntry } from '../../cdk/lib/migration-lambdas.ts';
import { repoPath } from '../../cdk/lib/paths.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import {
  API_FUNCTION, AUTHORIZER_FUNCTION, COPY_TASK_PERMISSIONS, EXECUTION_ENDED_FUNCTION, FUNCTION_PERMISSIONS, STORE_ACTIONS, actionsCalled, actionsImplied,
  type FunctionName, type FunctionPermissions,
} from '../../lambdas/composition/function-permissions.ts';
import { ALL_STEPS, PURGE_ENTRY } from '../../lambdas/core/workflow.ts';
import { bundleCalls, type BundleCalls } from './bundle-calls.ts';
import { logicalId, synthesizeStack } from './support.ts';

/** The handler entry of every function, as the stack bundles it. */
const ENTRIES: Readonly<Record<FunctionName, string>> = {
  ...(Object.fromEntries(ALL_STEPS.map((step) => [step, stepEntry(step)])) as Record<(typeof ALL_STEPS)[number], string>),
  [API_FUNCTION]: 'lambdas/handlers/api.ts',
  [AUTHORIZER_FUNCTION]: 'lambdas/handlers/authorizer.ts',
  [EXECUTION_ENDED_FUNCTION]: EXECUTION_ENDED_ENTRY,
};
const FUNCTIONS = Object.keys(ENTRIES) as FunctionName[];
/** The containers that run as the copy task's role: the copy, and the purge of deleted instances' data (same image and role). */
const COPY_TASK_ENTRIES = ['copy-task/bin/smig-copy-container.ts', PURGE_ENTRY];

/** What a role allows besides its grants: writing its own log group, and X-Ray (active tracing). */
const LAMBDA_BASICS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** The copy task mounts the exports as EFS volumes with IAM authorization: client permissions, not API calls. */
const EFS_CLIENT = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientRootAccess', 'elasticfilesystem:ClientWrite'];

/** The store adapters of lambdas/adapters/dynamodb, each bundled alone, and what function-permissions.ts says they send. */
const STORES: readonly (readonly [string, readonly string[]])[] = [
  ['lambdas/adapters/dynamodb/versioned-table.ts', STORE_ACTIONS],
  ['lambdas/adapters/dynamodb/share-records.ts', STORE_ACTIONS],
  ['lambdas/adapters/dynamodb/share-table.ts', [...STORE_ACTIONS, 'dynamodb:Query', 'dynamodb:BatchGetItem']],
  ['lambdas/adapters/dynamodb/catalog-collection.ts', STORE_ACTIONS],
  ['lambdas/adapters/dynamodb/share-type-table.ts', STORE_ACTIONS],
  ['lambdas/adapters/dynamodb/schedule-table.ts', STORE_ACTIONS],
  ['lambdas/adapters/dynamodb/migration-table.ts', [...STORE_ACTIONS, 'dynamodb:Query']],
  ['lambdas/adapters/dynamodb/copy-progress-sink.ts', COPY_TASK_PERMISSIONS.tables!.migrations!.actions],
];

type Statement = { Effect: string; Action: string | string[] };

// One bundle per function and one synth for the whole file: the sample context, with one access-point
// and one file-system EFS backend, so that every EFS grant is made.
const bundles = new Map<string, BundleCalls>();
let stack: ShareMigrationStack;
let template: Template;

beforeAll(async () => {
  const entries = [...Object.values(ENTRIES), ...COPY_TASK_ENTRIES, ...STORES.map(([entry]) => entry)];
  for (const [entry, calls] of await Promise.all(entries.map(async (entry) => [entry, await bundleCalls(entry)] as const))) bundles.set(entry, calls);
  const sample = JSON.parse(readFileSync(repoPath('cdk.context.sample.json'), 'utf8')) as Record<string, unknown>;
  ({ stack, template } = synthesizeStack(sample));
}, 180_000);

/** Every action the role's policies allow. */
function allowedBy(role: IConstruct): string[] {
  const ref = JSON.stringify([{ Ref: logicalId(role) }]);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy.Properties.Roles) === ref);
  return [...new Set(policies.flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat())))].sort();
}

function roleOf(name: FunctionName): IConstruct {
  if (name === API_FUNCTION) return stack.api.handler.role!;
  if (name === AUTHORIZER_FUNCTION) return stack.api.authorizerFunction.role!;
  if (name === EXECUTION_ENDED_FUNCTION) return stack.lambdas.executionEnded.role!;
  return stack.lambdas.forStep(name).role!;
}

describe('Declaration: FUNCTION_PERMISSIONS', () => {
  it.each(FUNCTIONS)('declares for %s exactly the AWS calls its bundle can make', (name) => {
    // Prepare
    const bundle = bundles.get(ENTRIES[name])!;

    // Assess
    expect(bundle.unexplained).toEqual([]);
    expect(bundle.actions).toEqual(actionsCalled(FUNCTION_PERMISSIONS[name]));
  });

  it('declares for the copy task exactly the AWS calls its containers\' bundles can make', () => {
    // Prepare
    const containers = COPY_TASK_ENTRIES.map((entry) => bundles.get(entry)!);

    // Assess
    for (const bundle of containers) expect(bundle.unexplained).toEqual([]);
    expect([...new Set(containers.flatMap((bundle) => bundle.actions))].sort()).toEqual(actionsCalled(COPY_TASK_PERMISSIONS));
  });

  it.each(STORES)('says what the store in %s sends', (entry, actions) => {
    // Assess
    expect(bundles.get(entry)!.actions).toEqual([...actions].sort());
  });
});

describe('Stack: ShareMigrationStack function roles', () => {
  it.each(FUNCTIONS)('lets %s do every call its bundle can make, and nothing it cannot (but what IAM checks underneath)', (name) => {
    // Prepare
    const called = bundles.get(ENTRIES[name])!.actions;
    const allowed = allowedBy(roleOf(name));

    // Assess
    expect(called.filter((action) => !allowed.includes(action))).toEqual([]);
    expect(allowed.filter((action) => !acceptable(FUNCTION_PERMISSIONS[name], called).includes(action))).toEqual([]);
  });

  it('lets the copy task role do what its containers\' bundles can call, mount the exports, and nothing else', () => {
    // Prepare
    const called = [...new Set(COPY_TASK_ENTRIES.flatMap((entry) => bundles.get(entry)!.actions))];
    const allowed = allowedBy(stack.copyTask.taskDefinition.taskRole);

    // Assess
    expect(allowed).toEqual([...called, ...EFS_CLIENT].sort());
  });
});

/** What a role may allow: the calls, what IAM checks underneath them, and the Lambda basics. */
function acceptable(permissions: FunctionPermissions, called: readonly string[]): string[] {
  return [...called, ...actionsImplied(permissions), ...LAMBDA_BASICS];
}
