import { Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ShareMigrationStack } from './share-migration-stack.ts';

/** `<LogicalId.Arn>` as cdk-nag writes a resource's ARN in a finding id. */
function arnToken(construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return `<${Stack.of(construct).getLogicalId(element)}.Arn>`;
}

/**
 * Acknowledges, on `construct` (a role), the cdk-nag finding of a wildcard `resource` a grant cannot
 * avoid, with why: `AwsSolutions-IAM5[Resource::<resource as cdk-nag writes it>]`.
 */
export function acknowledgeWildcard(construct: IConstruct, resource: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagForm(construct, resource)}]`, reason });
}

/** A resource as cdk-nag writes it in a finding id: `<LogicalId>` for a Ref, `<LogicalId.Attr>` for a GetAtt, joins flattened. */
function nagForm(scope: IConstruct, value: string): string {
  if (!Token.isUnresolved(value)) return value;
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const intrinsic = node as Record<string, unknown>;
    if (Array.isArray(intrinsic['Fn::Join'])) {
      const [delimiter, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
    if (Array.isArray(intrinsic['Fn::GetAtt'])) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
    if (intrinsic['Ref'] !== undefined) return `<${String(intrinsic['Ref'])}>`;
    return JSON.stringify(node);
  };
  return flatten(Stack.of(scope).resolve(value));
}

/**
 * The cdk-nag AwsSolutions findings the stack accepts on constructs it wires but does not own, each
 * with why (the constructs acknowledge their own: ServiceFunction, ManilaApi). Findings are
 * acknowledged one by one (`Rule[finding]`), so a new wildcard elsewhere still fails the check.
 */
export function acknowledgeStackFindings(stack: ShareMigrationStack): void {
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

  // The partitioned copy's Distributed Map (workflow-copy-pass.ts): CDK's policy for its child executions.
  const stateMachine = stack.workflow.stateMachine;
  const distributedMapPolicy = stateMachine.node.tryFindChild('DistributedMapPolicy');
  if (distributedMapPolicy !== undefined) {
    const machineId = Stack.of(stateMachine).getLogicalId(stateMachine.node.defaultChild as CfnElement);
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}`;
    Validations.of(distributedMapPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${executions}:*]`,
      reason: 'A Distributed Map (the partitioned copy) describes and stops the child executions it starts, of this state machine only, whose names exist only at run time.',
    });
    Validations.of(distributedMapPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${executions}/*:*]`,
      reason: 'RedriveExecution of a Distributed Map\'s child executions (map runs) of this state machine only, named at run time.',
    });
  }

  // The functions' roles: acknowledged where their grants are made (function-grants.ts, efs-grants.ts).

  // The state machine runs the migrations' own copy task definition revisions.
  const familyToken = `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/${stack.copyTask.taskDefinition.family}-*:*`;
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
