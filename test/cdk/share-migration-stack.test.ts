import aslValidator from 'asl-validator';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATE_MACHINE_ARN_ENV } from '../../cdk/lib/manila-api.ts';
import { STEP_NAME_ENV } from '../../cdk/lib/migration-function.ts';
import { CONCURRENT_UPDATE_ERROR, RETRIED_STEP_ERRORS, STEP_STATE, StateName } from '../../cdk/lib/migration-workflow.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { ConcurrentUpdateError } from '../../lambdas/core/errors.ts';
import { TABLES } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { ALL_STEPS, Step } from '../../lambdas/core/workflow.ts';
import { localLambdaArn, resolveDefinition, type CfnTemplate } from '../../local/synthesized-definition.ts';
import { logicalId, synthesizeStack } from './support.ts';

type State = Record<string, unknown>;

// One synth for the whole file.
let stack: ShareMigrationStack;
let template: Template;
let definition: { StartAt: string; States: Record<string, State> };

beforeAll(() => {
  ({ stack, template } = synthesizeStack());
  definition = resolveDefinition(template.toJSON() as CfnTemplate) as typeof definition;
});

const stepArn = (step: Step): string => localLambdaArn(logicalId(stack.lambdas.forStep(step)));
const state = (name: string): State => {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state ${name}`);
  return found;
};
const stepRetry = { ErrorEquals: [...RETRIED_STEP_ERRORS], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 };
const anyErrorRetry = { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 };
const toCleanup = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.CLEANUP };
const taskStates = (): [string, State][] => Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

describe('Construct: MigrationWorkflow', () => {
  it('starts by validating, and a rejected request fails with the validation error and no cleanup', () => {
    // Assess
    expect(definition.StartAt).toBe(StateName.VALIDATE);
    expect(state(StateName.VALIDATE)).toEqual({
      Type: 'Task',
      Resource: stepArn(Step.VALIDATE),
      TimeoutSeconds: 360,
      Retry: [stepRetry],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.REJECTED }],
      Next: StateName.DRIVER_COMPATIBILITY,
    });
    expect(state(StateName.REJECTED)).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  it('runs the bulk copy as a Fargate runTask.sync with the job in the copy container environment', () => {
    // Assess
    expect(state(StateName.BULK_COPY)).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::ecs:runTask.sync',
      Parameters: {
        Cluster: `arn:aws:ecs:local:000000000000:cluster/${logicalId(stack.copyTask.cluster)}`,
        TaskDefinition: stack.copyTask.taskDefinition.family,
        LaunchType: 'FARGATE',
        PlatformVersion: 'LATEST',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            Subnets: expect.arrayContaining([expect.stringMatching(/^CopyTaskVpcprivateSubnet\dSubnet/)]),
            SecurityGroups: [`${logicalId(stack.copyTask.securityGroup)}.GroupId`],
          },
        },
        Overrides: {
          ContainerOverrides: [
            {
              Name: 'copy',
              Environment: [
                { Name: 'SMIG_MIGRATION_ID', 'Value.$': '$.migration_id' },
                { Name: 'SMIG_SOURCE', 'Value.$': '$.copy.source' },
                { Name: 'SMIG_DESTINATION', 'Value.$': '$.copy.destination' },
                { Name: 'SMIG_PASS', Value: 'bulk' },
                { Name: 'SMIG_VERIFY', Value: 'true' },
              ],
            },
          ],
        },
      },
      ResultPath: null,
      TimeoutSeconds: 7 * 24 * 3600,
      Catch: [toCleanup],
      Next: StateName.PHASE1_DONE,
    });
  });

  it('runs the final delta as the same task with SMIG_PASS=final, then cuts over', () => {
    // Assess
    const finalCopy = state(StateName.FINAL_COPY);
    const bulkCopy = state(StateName.BULK_COPY);
    expect(finalCopy.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(finalCopy.Parameters).toEqual({
      ...(bulkCopy.Parameters as object),
      Overrides: {
        ContainerOverrides: [
          {
            Name: 'copy',
            Environment: [
              { Name: 'SMIG_MIGRATION_ID', 'Value.$': '$.migration_id' },
              { Name: 'SMIG_SOURCE', 'Value.$': '$.copy.source' },
              { Name: 'SMIG_DESTINATION', 'Value.$': '$.copy.destination' },
              { Name: 'SMIG_PASS', Value: 'final' },
              { Name: 'SMIG_VERIFY', Value: 'true' },
            ],
          },
        ],
      },
    });
    expect(finalCopy.Next).toBe(StateName.CUTOVER);
  });

  it('waits for migration_complete with a task token, keeping the state as it was', () => {
    // Assess
    expect(state(StateName.AWAIT_COMPLETION)).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: stepArn(Step.AWAIT_COMPLETION),
        Payload: {
          'migration_id.$': '$.migration_id',
          'share_id.$': '$.share_id',
          'auto_complete.$': '$.auto_complete',
          'task_token.$': '$$.Task.Token',
        },
      },
      ResultPath: null,
      TimeoutSeconds: 365 * 24 * 3600,
      Retry: [stepRetry],
      Catch: [toCleanup],
      Next: StateName.WHICH_SWITCHOVER,
    });
  });

  it('sends a cancelled driver migration to cleanup and any other driver failure to the host-assisted fallback', () => {
    // Assess
    for (const name of [StateName.DRIVER_START, StateName.DRIVER_CONTINUE]) {
      expect(state(name).Catch).toEqual([
        { ErrorEquals: ['MigrationCancelledError'], ResultPath: '$.error', Next: StateName.CLEANUP },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.DRIVER_CANCEL },
      ]);
    }
    expect(state(StateName.DRIVER_CANCEL)).toMatchObject({ Catch: [toCleanup], Next: StateName.PREPARE_DESTINATION });
    expect(state(StateName.DRIVER_CANCEL).ResultPath).toBeUndefined();
    expect(state(StateName.WAIT_FOR_DRIVER)).toEqual({ Type: 'Wait', Seconds: 5, Next: StateName.DRIVER_CONTINUE });
  });

  it('chooses only on fields that are present, so a missing optional field never fails a Choice', () => {
    // Assess
    expect(state(StateName.CAN_DRIVER_MIGRATE)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.driver_assisted', IsPresent: true },
            { Variable: '$.driver_assisted', BooleanEquals: true },
          ],
          Next: StateName.DRIVER_START,
        },
      ],
      Default: StateName.PREPARE_DESTINATION,
    });
    expect(state(StateName.CANCELLED_OR_FAILED)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.outcome', IsPresent: true },
            { Variable: '$.outcome', StringEquals: 'cancelled' },
          ],
          Next: StateName.CANCELLED,
        },
      ],
      Default: StateName.FAILED,
    });
    expect(state(StateName.FAILED)).toEqual({ Type: 'Fail', Error: 'MigrationFailed', Cause: 'see the migration record' });
  });

  it('runs every step Lambda directly on the state, its result replacing the state, with a timeout and the step retries', () => {
    // Assess
    for (const step of ALL_STEPS.filter((s) => s !== Step.AWAIT_COMPLETION)) {
      expect(state(STEP_STATE[step]), step).toMatchObject({
        Type: 'Task',
        Resource: stepArn(step),
        TimeoutSeconds: 360,
        Retry: expect.arrayContaining([stepRetry]),
      });
      // No Parameters: the state is the event. No ResultPath: the default `$`, the result replaces the state.
      expect(state(STEP_STATE[step]).Parameters, step).toBeUndefined();
      expect(state(STEP_STATE[step]).ResultPath, step).toBeUndefined();
    }
  });

  it('sets TimeoutSeconds on every Task (aws-local-stepfunctions would default to 60 s)', () => {
    // Assess
    for (const [name, task] of taskStates()) expect(task.TimeoutSeconds, name).toEqual(expect.any(Number));
  });

  it('sends every failure after validation to cleanup, which retries any error and is caught by nothing', () => {
    // Assess
    const guarded = taskStates().filter(([name]) => name !== StateName.VALIDATE && name !== StateName.CLEANUP);
    expect(guarded.map(([name]) => name).sort()).toEqual(
      [...ALL_STEPS.filter((s) => s !== Step.VALIDATE && s !== Step.CLEANUP).map((s) => STEP_STATE[s]), StateName.BULK_COPY, StateName.FINAL_COPY].sort(),
    );
    for (const [name, task] of guarded) {
      const catchers = task.Catch as { Next: string; ResultPath: string }[];
      expect(catchers.some((c) => c.Next === StateName.CLEANUP && c.ResultPath === '$.error'), name).toBe(true);
    }
    expect(state(StateName.CLEANUP)).toMatchObject({ Retry: [stepRetry, anyErrorRetry], Next: StateName.CANCELLED_OR_FAILED });
    expect(state(StateName.CLEANUP).Catch).toBeUndefined();
    expect(state(StateName.CUTOVER)).toMatchObject({ Retry: [stepRetry, anyErrorRetry], Catch: [toCleanup], Next: StateName.SUCCEEDED });
  });

  it('retries the domain ConcurrentUpdateError by its name', () => {
    // Assess
    expect(new ConcurrentUpdateError('lost a race').name).toBe(CONCURRENT_UPDATE_ERROR);
  });

  it('is a valid Amazon States Language definition', () => {
    // Act (the validator adds QueryLanguage to the states it checks: give it a copy)
    const result = aslValidator(structuredClone(definition));

    // Assess
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is a standard workflow', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
  });
});

describe('Construct: ManilaApi', () => {
  it('lets the API function start executions and answer task tokens on the state machine only', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.api.handler.role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess', 'states:StartExecution'],
            Effect: 'Allow',
            Resource: { Ref: logicalId(stack.workflow.stateMachine) },
          },
        ]),
      },
    });
  });

  it('gives the API function the state machine ARN and STEP_NAME=api', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [STEP_NAME_ENV]: 'api',
          [STATE_MACHINE_ARN_ENV]: { Ref: logicalId(stack.workflow.stateMachine) },
        }),
      },
    });
  });

  it.each([
    ['the root', () => ({ 'Fn::GetAtt': [logicalId(stack.api.restApi), 'RootResourceId'] })],
    ['{proxy+}', () => ({ Ref: logicalId(stack.api.restApi.root.getResource('{proxy+}')!) })],
  ])('proxies ANY on %s to the API function, signed with IAM', (_, resourceId) => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      AuthorizationType: 'AWS_IAM',
      ResourceId: resourceId(),
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: { 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalId(stack.api.handler), 'Arn'] }])] },
      },
    });
  });
});

describe('Construct: MigrationTables', () => {
  it.each(TABLES.map((schema) => [schema.id, schema] as const))('creates the %s table from its schema', (id, schema) => {
    // Assess
    const attributes = [schema.partitionKey, schema.sortKey, ...schema.indexes.flatMap((i) => [i.partitionKey, i.sortKey])].filter(
      (name): name is string => name !== undefined,
    );
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: schema.partitionKey, KeyType: 'HASH' },
        ...(schema.sortKey === undefined ? [] : [{ AttributeName: schema.sortKey, KeyType: 'RANGE' }]),
      ],
      AttributeDefinitions: [...new Set(attributes)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      GlobalSecondaryIndexes:
        schema.indexes.length === 0
          ? Match.absent()
          : schema.indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: 'HASH' },
                ...(index.sortKey === undefined ? [] : [{ AttributeName: index.sortKey, KeyType: 'RANGE' }]),
              ],
              Projection: { ProjectionType: 'ALL' },
            })),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(logicalId(stack.tables.table(id))).toMatch(/^Tables/);
  });

  it('keeps the tables when the stack is deleted', () => {
    for (const schema of TABLES) {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({ KeySchema: Match.arrayWith([{ AttributeName: schema.partitionKey, KeyType: 'HASH' }]) }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });
});

describe('Construct: MigrationLambdas', () => {
  it.each(ALL_STEPS)('runs lambdas/handlers/steps/%s.ts on Node.js 22 with its STEP_NAME and every table name', (step) => {
    // Assess
    const fn = stack.lambdas.forStep(step);
    const resource = template.toJSON().Resources[logicalId(fn)];
    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 300,
      Environment: {
        Variables: {
          SMIG_SHARES_TABLE: { Ref: logicalId(stack.tables.table('shares')) },
          SMIG_MIGRATIONS_TABLE: { Ref: logicalId(stack.tables.table('migrations')) },
          SMIG_CATALOG_TABLE: { Ref: logicalId(stack.tables.table('catalog')) },
          [STEP_NAME_ENV]: step,
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it.each(ALL_STEPS)('lets the %s function read and write the three tables', (step) => {
    // Prepare
    const tableArn = (id: 'shares' | 'migrations' | 'catalog') => ({ 'Fn::GetAtt': [logicalId(stack.tables.table(id)), 'Arn'] });

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.lambdas.forStep(step).role!) }],
      PolicyDocument: {
        Statement: [
          {
            Action: [
              'dynamodb:BatchGetItem',
              'dynamodb:BatchWriteItem',
              'dynamodb:ConditionCheckItem',
              'dynamodb:DeleteItem',
              'dynamodb:DescribeTable',
              'dynamodb:GetItem',
              'dynamodb:GetRecords',
              'dynamodb:GetShardIterator',
              'dynamodb:PutItem',
              'dynamodb:Query',
              'dynamodb:Scan',
              'dynamodb:UpdateItem',
            ],
            Effect: 'Allow',
            Resource: [
              tableArn('catalog'),
              tableArn('migrations'),
              tableArn('shares'),
              { 'Fn::Join': ['', [tableArn('migrations'), '/index/*']] },
            ],
          },
        ],
      },
    });
  });
});

describe('Construct: CopyTask', () => {
  it('runs the copy container on Fargate, logging to CloudWatch, with the migrations table name', () => {
    // Assess
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'copy',
          Essential: true,
          Environment: [{ Name: 'SMIG_MIGRATIONS_TABLE', Value: { Ref: logicalId(stack.tables.table('migrations')) } }],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
  });

  it('lets the task write to the migrations table only', () => {
    // Prepare
    const migrationsArn = { 'Fn::GetAtt': [logicalId(stack.tables.table('migrations')), 'Arn'] };

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.copyTask.taskDefinition.taskRole) }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
            Effect: 'Allow',
            Resource: [migrationsArn, { 'Fn::Join': ['', [migrationsArn, '/index/*']] }],
          },
        ],
      },
    });
  });

  it('lets the state machine run, watch and stop the copy task and pass its roles', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.workflow.stateMachine.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'ecs:RunTask', Effect: 'Allow', Resource: { Ref: logicalId(stack.copyTask.taskDefinition) } },
          { Action: ['ecs:DescribeTasks', 'ecs:StopTask'], Effect: 'Allow', Resource: '*' },
          {
            Action: 'iam:PassRole',
            Effect: 'Allow',
            Resource: [
              { 'Fn::GetAtt': [logicalId(stack.copyTask.taskDefinition.executionRole!), 'Arn'] },
              { 'Fn::GetAtt': [logicalId(stack.copyTask.taskDefinition.taskRole), 'Arn'] },
            ],
          },
        ]),
      },
    });
  });
});
