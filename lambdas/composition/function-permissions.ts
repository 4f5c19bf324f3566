/**
 * What each Lambda function of the stack (and the copy task) may ask AWS to do: the AWS actions its
 * composition's adapters send, by the resource they act on. Data only, with no AWS SDK import, so the CDK
 * app reads it cheaply: cdk/lib/function-grants.ts grants each function exactly this, scoped to the
 * stack's resources, and gives it the environment its composition reads.
 *
 * It is kept true by test/cdk/function-permissions.test.ts, which bundles every handler as the stack does
 * and derives from the bundle the AWS calls it can make: that set must equal this declaration, both ways.
 * Each function's handler (lambdas/handlers) imports the adapter factories and EFS parts its code path
 * uses; the comments below say why each function needs what it has.
 */
import type { TableSchema } from '../adapters/dynamodb/table-schema.ts';
import { MIGRATIONS_TABLE, SHARES_TABLE } from '../adapters/dynamodb/table-schema.ts';
import { Step } from '../core/workflow.ts';
import { EFS_PART_PERMISSIONS, efsPartsFor, type EfsDriverMethod, type EfsPartName } from '../drivers/efs/efs-actions.ts';

export type TableId = TableSchema['id'];

/** The `STEP_NAME` of the API function. */
export const API_FUNCTION = 'api';
/** The name of the API Gateway authorizer function. */
export const AUTHORIZER_FUNCTION = 'authorizer';
/** The `STEP_NAME` of the function that cleans up after executions that ended outside the workflow's own paths. */
export const EXECUTION_ENDED_FUNCTION = 'execution-ended';
export type FunctionName = Step | typeof API_FUNCTION | typeof AUTHORIZER_FUNCTION | typeof EXECUTION_ENDED_FUNCTION;

export type DynamoDbAction = 'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:Query' | 'dynamodb:Scan' | 'dynamodb:BatchGetItem';
export type StatesAction = 'states:StartExecution' | 'states:SendTaskSuccess' | 'states:SendTaskFailure';
export type CopyTaskDefinitionAction = 'ecs:DescribeTaskDefinition' | 'ecs:RegisterTaskDefinition' | 'ecs:DeregisterTaskDefinition';
export type SchedulerAction = 'scheduler:CreateSchedule' | 'scheduler:UpdateSchedule' | 'scheduler:DeleteSchedule';

/** What a function does on one table: item actions on the table, and actions on its global secondary indexes. */
export interface TableAccess {
  readonly actions: readonly DynamoDbAction[];
  /** By index name. @default - none */
  readonly indexes?: Readonly<Record<string, readonly DynamoDbAction[]>>;
}

export interface FunctionPermissions {
  /** DynamoDB, by table. @default - none */
  readonly tables?: Readonly<Partial<Record<TableId, TableAccess>>>;
  /** The EFS driver's parts it is composed with (their actions: EFS_PART_PERMISSIONS). @default - none */
  readonly efsParts?: readonly EfsPartName[];
  /** Reading the backends from SSM Parameter Store, on the stack's backends path: every function with a driver. @default - none */
  readonly backends?: readonly 'ssm:GetParametersByPath'[];
  /** On the migration state machine. @default - none */
  readonly stateMachine?: readonly StatesAction[];
  /** On the stack's event bus. @default - none */
  readonly eventBus?: readonly 'events:PutEvents'[];
  /** The migrations' own copy task definitions. @default - none */
  readonly copyTaskDefinitions?: readonly CopyTaskDefinitionAction[];
  /** The copy tasks of the copy cluster. @default - none */
  readonly copyTasks?: readonly 'ecs:StopTask'[];
  /** Schedules of the stack's schedule group. @default - none */
  readonly schedules?: readonly SchedulerAction[];
  /** The API token secret. @default - none */
  readonly tokensSecret?: readonly 'secretsmanager:GetSecretValue'[];
  /** The secret of the service's credentials for an existing Keystone, when the stack names one. @default - none */
  readonly keystoneCredentialsSecret?: readonly 'secretsmanager:GetSecretValue'[];
}

/**
 * What lambdas/adapters/dynamodb's stores send. VersionedTable (shares, migration records),
 * CatalogTableCollection (share types, share networks, security services) and ScheduleTable each send
 * Get, Put (create and replace, conditional on version), Delete and Scan (list), in one module each, so a
 * bundle with the store holds all four.
 */
export const STORE_ACTIONS: readonly DynamoDbAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'];

/** The migration records of a step: the store, and no index (migrationRecords in factories/dynamodb.ts). */
const RECORDS: TableAccess = { actions: STORE_ACTIONS };
/** DynamoPartitionStore: plans and partition reports by key, a migration's partitions by Query on the table's own keys. */
export const PARTITION_STORE_ACTIONS: readonly DynamoDbAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'];
/** The API reads a partitioned migration's plan and partitions (its progress): no writes. */
const PARTITIONS_READ: TableAccess = { actions: ['dynamodb:GetItem', 'dynamodb:Query'] };
/** MigrationTable adds listByShare: Query on the by-share index (the API lists a share's migrations). */
const MIGRATIONS_BY_SHARE: TableAccess = { actions: STORE_ACTIONS, indexes: { [MIGRATIONS_TABLE.indexes[0]!.name]: ['dynamodb:Query'] } };
/**
 * ShareTable (the API's shares) adds the lists: Query on every index of the shares table (the list
 * indexes and the with-snapshots index) and BatchGetItem of a page's shares.
 */
const SHARES_WITH_LISTS: TableAccess = {
  actions: [...STORE_ACTIONS, 'dynamodb:BatchGetItem'],
  indexes: Object.fromEntries(SHARES_TABLE.indexes.map((index) => [index.name, ['dynamodb:Query'] as const])),
};

const EVENTS = { eventBus: ['events:PutEvents'] } as const satisfies FunctionPermissions;

/**
 * A function whose code path calls these ShareDriver methods: the EFS parts they need (EFS_METHOD_PARTS),
 * and the backends, read from SSM to find the driver of a host.
 */
function driver(...methods: EfsDriverMethod[]): Pick<FunctionPermissions, 'efsParts' | 'backends'> {
  return { efsParts: efsPartsFor(methods), backends: ['ssm:GetParametersByPath'] };
}

export const FUNCTION_PERMISSIONS: Readonly<Record<FunctionName, FunctionPermissions>> = {
  // validate + lock: the share, the migration it creates, the share type, network and security services of
  // the placement check, the schedule whose firing it records (catalog); the destination pool (listPools).
  [Step.VALIDATE]: { tables: { shares: RECORDS, migrations: RECORDS, catalog: RECORDS }, ...driver('listPools'), ...EVENTS },
  // migrationCheckCompatibility; the destination pool's snapshot support when the share has snapshots (listPools).
  [Step.DRIVER_COMPATIBILITY]: { tables: { shares: RECORDS, migrations: RECORDS }, ...driver('migrationCheckCompatibility', 'listPools'), ...EVENTS },
  // migrationStart, which creates the destination with its share type's specs (catalog).
  [Step.DRIVER_START]: { tables: { shares: RECORDS, migrations: RECORDS, catalog: RECORDS }, ...driver('migrationStart'), ...EVENTS },
  // migrationContinue; records progress only (no task_state change, no event).
  [Step.DRIVER_CONTINUE]: { tables: { shares: RECORDS, migrations: RECORDS }, ...driver('migrationContinue') },
  // migrationCancel; the fallback's snapshot check (listPools). Records the mechanism only (no event).
  [Step.DRIVER_CANCEL]: { tables: { shares: RECORDS, migrations: RECORDS }, ...driver('migrationCancel', 'listPools') },
  // migrationComplete, the destination's access rules, deleting the source instance.
  [Step.DRIVER_COMPLETE]: { tables: { shares: RECORDS, migrations: RECORDS }, ...driver('migrationComplete', 'applyAccessRules', 'deleteInstance'), ...EVENTS },
  // createInstance (its share type's specs: catalog) and getCopyMount; the migration's copy task definition.
  [Step.PREPARE_DESTINATION]: {
    tables: { shares: RECORDS, migrations: RECORDS, catalog: RECORDS },
    ...driver('createInstance', 'getCopyMount'),
    ...EVENTS,
    copyTaskDefinitions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
  },
  // createSnapshot, which the EFS driver does not have (its pools report no snapshot support), so the step
  // fails with a DriverError before any EFS call: it finds the driver (the backends) and needs no part.
  [Step.SNAPSHOT_DESTINATION]: { tables: { shares: RECORDS, migrations: RECORDS }, ...driver() },
  [Step.PHASE1_DONE]: { tables: { shares: RECORDS, migrations: RECORDS }, ...EVENTS },
  // Keeps the task token in the migration and answers it at once if complete or cancel came first.
  [Step.AWAIT_COMPLETION]: { tables: { migrations: RECORDS }, stateMachine: ['states:SendTaskSuccess', 'states:SendTaskFailure'] },
  [Step.SOURCE_READ_ONLY]: { tables: { shares: RECORDS, migrations: RECORDS }, ...driver('applyAccessRules'), ...EVENTS },
  // The destination's access rules, deleting the source instance, deregistering the copy task definition.
  [Step.CUTOVER]: {
    tables: { shares: RECORDS, migrations: RECORDS },
    ...driver('applyAccessRules', 'deleteInstance'),
    ...EVENTS,
    copyTaskDefinitions: ['ecs:DeregisterTaskDefinition'],
  },
  // migrationCancel, the source's access rules, deleting the destination, deregistering the copy task definition.
  [Step.CLEANUP]: {
    tables: { shares: RECORDS, migrations: RECORDS },
    ...driver('migrationCancel', 'applyAccessRules', 'deleteInstance'),
    ...EVENTS,
    copyTaskDefinitions: ['ecs:DeregisterTaskDefinition'],
  },
  // Calls no driver and no ECS: records what cleanup left behind and releases the share.
  [Step.RELEASE_SHARE]: { tables: { shares: RECORDS, migrations: RECORDS }, ...EVENTS },
  // switchoverBlockers (CloudWatch ClientConnections); applyAccessRules when it gives the source its writes back.
  [Step.SWITCHOVER_WRITERS]: { tables: { shares: RECORDS, migrations: RECORDS }, ...driver('switchoverBlockers', 'applyAccessRules'), ...EVENTS },
  // Keeps the task token of the wait between two switchover checks in the migration, and answers it at once if
  // the operator confirmed first. Its adapter (the task tokens) can also fail a token, which this step never does.
  [Step.AWAIT_SWITCHOVER]: { tables: { migrations: RECORDS }, stateMachine: ['states:SendTaskSuccess', 'states:SendTaskFailure'] },
  // dataLeftBehind (the instances part); the purge task's definition for the root that holds the data.
  [Step.PLAN_PURGE]: {
    tables: { shares: RECORDS, migrations: RECORDS },
    ...driver('dataLeftBehind'),
    copyTaskDefinitions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
  },
  // A copy pass waiting out an infrastructure fault: records it on the migration, publishes the wait's event,
  // and answers its own task token when a cancel came first. Its adapter (the task tokens) can also succeed one.
  [Step.COPY_FAULT]: { tables: { migrations: RECORDS }, ...EVENTS, stateMachine: ['states:SendTaskSuccess', 'states:SendTaskFailure'] },
  // The Manila API: every store, the share lists (indexes), a share's migrations (index), pools, instances (extend and shrink
  // too) and access rules (no
  // driver-assisted migration call: those are the steps'), executions and task tokens, stopping a copy
  // task, schedules. Its tokens are checked against a hash in its environment (no AWS call).
  [API_FUNCTION]: {
    tables: { shares: SHARES_WITH_LISTS, migrations: MIGRATIONS_BY_SHARE, catalog: RECORDS, partitions: PARTITIONS_READ },
    ...driver('listPools', 'createInstance', 'deleteInstance', 'extendInstance', 'shrinkInstance', 'applyAccessRules'),
    ...EVENTS,
    stateMachine: ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure'],
    copyTasks: ['ecs:StopTask'],
    schedules: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
  },
  // The token secret, and the Keystone credentials when an existing Keystone validates tokens (lambdas/composition/authorizer.ts).
  [AUTHORIZER_FUNCTION]: { tokensSecret: ['secretsmanager:GetSecretValue'], keystoneCredentialsSecret: ['secretsmanager:GetSecretValue'] },
  // An execution stopped, timed out or failed outside any Catch: the cleanup step's work (and the release
  // step's, which needs nothing more), run from the execution's status change event.
  [EXECUTION_ENDED_FUNCTION]: {
    tables: { shares: RECORDS, migrations: RECORDS },
    ...driver('migrationCancel', 'applyAccessRules', 'deleteInstance'),
    ...EVENTS,
    copyTaskDefinitions: ['ecs:DeregisterTaskDefinition'],
  },
};

/**
 * The copy task's role: what copy-task/bin/smig-copy-container.ts's progress sink sends on the migrations
 * table (createDynamoCopyProgressSink: its progress and outcome by UpdateItem, cancel_requested by GetItem).
 * The purge container runs as the same role and calls no AWS API. Their EFS client permissions (mounting)
 * come from the backends (cdk/lib/share-migration-stack.ts).
 */
export const COPY_TASK_PERMISSIONS: FunctionPermissions = {
  tables: {
    migrations: { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
    // A partitioned copy (copy-task/runtime/partition-*.ts: DynamoPartitionStore): the plan step puts the plan,
    // each partition reads it and puts its reports, the seal step reads them all.
    partitions: { actions: PARTITION_STORE_ACTIONS },
  },
};

/** Every AWS action the function's code sends, sorted, each once. */
export function actionsCalled(permissions: FunctionPermissions): string[] {
  const tables = Object.values(permissions.tables ?? {}).flatMap((access) => [...access.actions, ...Object.values(access.indexes ?? {}).flat()]);
  const efs = (permissions.efsParts ?? []).flatMap((part) => EFS_PART_PERMISSIONS[part].calls);
  return [...new Set([
    ...tables,
    ...efs,
    ...(permissions.backends ?? []),
    ...(permissions.stateMachine ?? []),
    ...(permissions.eventBus ?? []),
    ...(permissions.copyTaskDefinitions ?? []),
    ...(permissions.copyTasks ?? []),
    ...(permissions.schedules ?? []),
    ...(permissions.tokensSecret ?? []),
  ])].sort();
}

/**
 * What IAM also checks on the caller of those actions although the code sends no such request, sorted:
 * passing a role (RegisterTaskDefinition passes the copy task's roles to ECS, Create/UpdateSchedule the
 * scheduler role to EventBridge Scheduler), tagging on create (RegisterTaskDefinition with tags), and what
 * EFS_PART_PERMISSIONS gives as `implied` for the EFS parts. The grants narrow each to where it applies
 * (e.g. no EC2 or KMS without a file-system backend).
 */
export function actionsImplied(permissions: FunctionPermissions): string[] {
  const called = new Set(actionsCalled(permissions));
  const implied = (permissions.efsParts ?? []).flatMap((part) => EFS_PART_PERMISSIONS[part].implied.flatMap((permission) => permission.actions));
  if (called.has('ecs:RegisterTaskDefinition')) implied.push('iam:PassRole', 'ecs:TagResource');
  if (called.has('scheduler:CreateSchedule') || called.has('scheduler:UpdateSchedule')) implied.push('iam:PassRole');
  return [...new Set(implied)].sort();
}
