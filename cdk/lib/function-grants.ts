import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { SchedulerEnv } from '../../lambdas/adapters/scheduler/scheduler-env.ts';
import { FunctionEnv } from '../../lambdas/composition/function-env.ts';
import type { FunctionPermissions, TableId } from '../../lambdas/composition/function-permissions.ts';
import type { ResolvedEfsBackendConfig } from '../../lambdas/drivers/efs/config.ts';
import type { BackendParameters } from './backend-parameters.ts';
import type { CopyTask } from './copy-task.ts';
import { COPY_CONTAINER_NAME } from './copy-task.ts';
import { efsGrantStatements } from './efs-grants.ts';
import type { MigrationSchedules } from './migration-schedules.ts';
import type { MigrationTables } from './migration-tables.ts';
import { acknowledgeWildcard } from './nag-acknowledgments.ts';

const ECS_TASKS_SERVICE = 'ecs-tasks.amazonaws.com';
const SCHEDULER_SERVICE = 'scheduler.amazonaws.com';

export interface FunctionGrantsProps {
  readonly tables: MigrationTables;
  /** The migration state machine's ARN, built from its name (MigrationWorkflow.stateMachineArn): the steps cannot refer to the resource. */
  readonly stateMachineArn: string;
  readonly eventBus: events.IEventBus;
  readonly copyTask: CopyTask;
  readonly schedules: MigrationSchedules;
  readonly tokensSecret: secretsmanager.ISecret;
  /** The secret of the service's credentials for an existing Keystone. @default - none: no Keystone of the operator's */
  readonly keystoneCredentialsSecret?: secretsmanager.ISecret;
  /** The SSM parameters of the backends. */
  readonly backendParameters: BackendParameters;
  /** The EFS backends, resolved as the functions will resolve them: what EFS grants are scoped to. */
  readonly efsBackends: readonly ResolvedEfsBackendConfig[];
}

/**
 * Gives a function exactly what its declaration (lambdas/composition/function-permissions.ts) says, on the
 * stack's resources, and the environment its composition reads. A wildcard a grant cannot avoid (a
 * resource known only at run time, an action AWS authorizes on "*" only) is acknowledged for cdk-nag here,
 * where it is made, with its reason.
 */
export class FunctionGrants {
  private readonly scope: IConstruct;
  private readonly props: FunctionGrantsProps;

  /** `scope`: where the ARNs are formatted (the stack). */
  constructor(scope: IConstruct, props: FunctionGrantsProps) {
    this.scope = scope;
    this.props = props;
  }

  /** Grants `fn` its declared permissions and sets the environment its composition reads. */
  wire(fn: lambda.Function, permissions: FunctionPermissions): void {
    const role = fn.role;
    if (!(role instanceof iam.Role)) throw new Error(`FunctionGrants: ${fn.node.path} has no role of its own to grant to; give it one (ServiceFunction does)`);
    this.grant(role, permissions);
    for (const [name, value] of Object.entries(this.environment(permissions))) fn.addEnvironment(name, value);
  }

  /** The declared permissions as statements on `role`. */
  grant(role: iam.Role, permissions: FunctionPermissions): void {
    const { tables, eventBus, tokensSecret, backendParameters } = this.props;
    const allow = (actions: readonly string[] | undefined, resources: string[], conditions?: Record<string, unknown>): void => {
      if (!actions || actions.length === 0) return;
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources, ...(conditions ? { conditions } : {}) }));
    };
    tables.grantAccess(role, permissions.tables ?? {});
    allow(permissions.backends, [backendParameters.pathArn]);
    for (const { statement, wildcards } of efsGrantStatements(this.scope, permissions.efsParts ?? [], this.props.efsBackends)) {
      role.addToPrincipalPolicy(statement);
      for (const [resource, reason] of Object.entries(wildcards)) acknowledgeWildcard(role, resource, reason);
    }
    // AWS authorizes SendTaskSuccess/Failure on the state machine of the token's execution.
    allow(permissions.stateMachine, [this.props.stateMachineArn]);
    allow(permissions.eventBus, [eventBus.eventBusArn]);
    this.grantCopyTaskDefinitions(role, permissions.copyTaskDefinitions ?? []);
    this.grantCopyTasks(role, permissions.copyTasks ?? []);
    this.grantSchedules(role, permissions.schedules ?? []);
    allow(permissions.tokensSecret, [tokensSecret.secretArn]);
    if (this.props.keystoneCredentialsSecret) allow(permissions.keystoneCredentialsSecret, [this.props.keystoneCredentialsSecret.secretArn]);
  }

  /** The environment a function's composition reads for what it is declared to use. */
  environment(permissions: FunctionPermissions): Record<string, string> {
    const { tables, eventBus, copyTask, schedules, backendParameters, stateMachineArn } = this.props;
    const env: Record<string, string> = { ...tables.environmentFor(Object.keys(permissions.tables ?? {}) as TableId[]) };
    if (permissions.backends?.length) env[FunctionEnv.BACKENDS_PARAMETER_PATH] = backendParameters.path;
    if (permissions.stateMachine?.includes('states:StartExecution')) env[FunctionEnv.STATE_MACHINE_ARN] = stateMachineArn;
    if (permissions.eventBus?.length) env[FunctionEnv.EVENT_BUS_NAME] = eventBus.eventBusName;
    if (permissions.copyTaskDefinitions?.length) env[FunctionEnv.COPY_TASK_DEFINITION] = copyTask.taskDefinition.taskDefinitionArn;
    if (permissions.copyTaskDefinitions?.includes('ecs:RegisterTaskDefinition')) env[FunctionEnv.COPY_CONTAINER] = COPY_CONTAINER_NAME;
    if (permissions.copyTasks?.length) env[FunctionEnv.COPY_CLUSTER] = copyTask.cluster.clusterArn;
    if (permissions.schedules?.length) Object.assign(env, schedules.environment, { [SchedulerEnv.STATE_MACHINE_ARN]: stateMachineArn });
    return env;
  }

  /**
   * The migrations' (and purges') own copy task definitions (lambdas/adapters/ecs): DescribeTaskDefinition,
   * RegisterTaskDefinition and DeregisterTaskDefinition have no resource-level permissions; registering
   * also tags the new revision (in its own `<copy family>-...` family, only at its creation) and passes
   * the copy task's roles to ECS tasks.
   */
  private grantCopyTaskDefinitions(role: iam.Role, actions: readonly string[]): void {
    if (actions.length === 0) return;
    const { copyTask } = this.props;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: ['*'] }));
    acknowledgeWildcard(role, '*', `${actions.join(', ')}: ECS supports no resource-level permission for these; a migration's copy task definition revision is registered at prepare and deregistered when it ends.`);
    if (!actions.includes('ecs:RegisterTaskDefinition')) return;
    const revisions = copyTask.migrationRevisionsArn();
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ecs:TagResource'],
      resources: [revisions],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    }));
    acknowledgeWildcard(role, revisions, 'Tagging, only at its creation, a revision registered in a family of the copy family\'s own (`<copy family>-<migration id>`, or `-purge-<file system id>`), whose name and revision number exist only at run time.');
    const passed = [copyTask.taskDefinition.taskRole, copyTask.taskDefinition.executionRole].flatMap((passedRole) => (passedRole ? [passedRole.roleArn] : []));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: passed, conditions: { StringEquals: { 'iam:PassedToService': ECS_TASKS_SERVICE } } }));
  }

  /** Stopping a copy task by the ARN it recorded: tasks of the copy cluster only. */
  private grantCopyTasks(role: iam.Role, actions: readonly string[]): void {
    if (actions.length === 0) return;
    const tasks = Stack.of(this.scope).formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.props.copyTask.cluster.clusterName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [tasks] }));
    acknowledgeWildcard(role, tasks, 'migration_cancel stops the copy task it recorded: task ids exist only at run time, and the ARN is limited to tasks of the copy cluster.');
  }

  /** Schedules of the stack's group; creating or updating one passes the scheduler role to EventBridge Scheduler only. */
  private grantSchedules(role: iam.Role, actions: readonly string[]): void {
    if (actions.length === 0) return;
    const { schedules } = this.props;
    const ofGroup = Stack.of(this.scope).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${schedules.group.scheduleGroupName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [ofGroup] }));
    acknowledgeWildcard(role, ofGroup, 'The API creates one schedule per scheduled migration at run time: the ARN is limited to schedules of the stack\'s own schedule group.');
    if (actions.includes('scheduler:CreateSchedule') || actions.includes('scheduler:UpdateSchedule')) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [schedules.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER_SERVICE } },
      }));
    }
  }
}
