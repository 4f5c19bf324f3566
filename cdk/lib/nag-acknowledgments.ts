import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ShareMigrationStack } from './share-migration-stack.ts';

/** `<LogicalId.Arn>` as cdk-nag writes a resource's ARN in a finding id. */
function arnToken(construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return `<${Stack.of(construct).getLogicalId(element)}.Arn>`;
}

/**
 * The cdk-nag AwsSolutions findings the stack accepts on constructs it wires but does not own, each
 * with why (the constructs acknowledge their own: ServiceFunction, ManilaApi). Findings are
 * acknowledged one by one (`Rule[finding]`), so a new wildcard elsewhere still fails the check.
 */
export function acknowledgeStackFindings(stack: ShareMigrationStack): void {
  // DynamoDB grants: a table's grantReadWriteData names the table and its indexes (`<table>/index/*`).
  for (const table of Object.values(stack.tables.byId)) {
    Validations.of(stack).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnToken(table)}/index/*]`,
      reason: 'The global secondary indexes of this one table (Query on an index is authorized on the index ARN); the grant names no other table.',
    });
  }

  // The state machine: what CDK's task integrations and logging/tracing put on its role.
  const stateMachineRole = stack.workflow.stateMachine.role;
  for (const fn of Object.values(stack.lambdas.byStep)) {
    Validations.of(stateMachineRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
      reason: 'The LambdaInvoke task invokes this step function by its ARN and its qualified ARNs (versions, aliases): this one function only.',
    });
  }
  Validations.of(stateMachineRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only actions with no narrower resource: logs:*LogDelivery, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups ' +
      '(Step Functions execution logging; CloudWatch Logs vended delivery takes "*") and xray:PutTraceSegments, PutTelemetryRecords, ' +
      'GetSamplingRules, GetSamplingTargets (X-Ray has no resource types); plus ecs:StopTask and ecs:DescribeTasks, which the ' +
      'EcsRunTask .sync integration (aws-stepfunctions-tasks) grants on "*" for the task it started, whose ARN exists only at run time.',
  });

  // The API function: resources made at run time, under a fixed prefix of this stack's.
  const apiRole = stack.api.handler.role!;
  Validations.of(apiRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${Stack.of(stack).getLogicalId(stack.copyTask.cluster.node.defaultChild as CfnElement)}>/*]`,
    reason: 'migration_cancel stops the copy task it recorded: task ids exist only at run time, and the ARN is limited to tasks of the copy cluster.',
  });
  Validations.of(apiRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${stack.schedules.group.scheduleGroupName}/*]`,
    reason: 'The API creates one schedule per scheduled migration at run time: the ARN is limited to schedules of the stack\'s own schedule group.',
  });

  // Per-migration copy task definitions (CopyTask.grantRegisterRevisions / grantDeregisterRevisions).
  const familyToken = `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/${stack.copyTask.taskDefinition.family}-*:*`;
  for (const step of ['prepare-destination', 'cutover', 'cleanup'] as const) {
    const role = stack.lambdas.byStep[step].role!;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecs:DescribeTaskDefinition, RegisterTaskDefinition and DeregisterTaskDefinition have no resource-level permissions; a migration\'s copy task definition revision is registered at prepare and deregistered when it ends.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${familyToken}]`,
      reason: 'Tagging the revision registered for a migration (only at its creation), in the family named after the migration, whose id and revision number exist only at run time.',
    });
  }
  Validations.of(stateMachineRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${familyToken}]`,
    reason: 'The copy states run the revision of the copy task definition the migration registered in its own family (`<copy family>-<migration id>`, known only at run time), only on the copy cluster.',
  });

  // The copy task.
  Validations.of(stack.copyTask.cluster).acknowledge({
    id: 'AwsSolutions-ECS4',
    reason: 'Copy tasks are one-shot runs: their progress is in the migration record, failures raise the FailedCopyTasks alarm; Container Insights per-task metrics would add cost, not signal.',
  });
  const executionRole = stack.copyTask.taskDefinition.executionRole;
  if (executionRole !== undefined) {
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken, which pulling the copy image from the CDK asset repository needs, has no resource-level permission; the pull actions name the repository.',
    });
  }
  Validations.of(stack.copyTask.taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason: 'The environment holds the migrations table name and, per run, the job (migration id, export paths, pass): nothing secret.',
  });

  // The schedules' dead-letter queue.
  Validations.of(stack.schedules.deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'It is a dead-letter queue: EventBridge Scheduler\'s, for firings it could not deliver (cdk-nag recognizes only queue-to-queue redrive).',
  });
}
