import { readFileSync } from 'node:fs';
import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TOKEN_HEADER, OPEN_ROUTES, REQUEST_BODY_LIMITS, requestBodySchema } from '../../cdk/lib/manila-api.ts';
import { DEFAULT_EVENT_BUS_NAME, EVENT_BUS_NAME_ENV } from '../../cdk/lib/migration-events.ts';
import { COPY_EXIT_CODES_NOT_FAILED } from '../../cdk/lib/migration-monitoring.ts';
import { ADMIN_TOKEN_SHA256_PARAMETER, ContextKey, type ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { FUNCTION_PERMISSIONS } from '../../lambdas/composition/function-permissions.ts';
import { ALL_STEPS } from '../../lambdas/core/workflow.ts';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../../lambdas/handlers/telemetry.ts';
import { repoPath } from '../../cdk/lib/paths.ts';
import { logicalId, synthesizeStack } from './support.ts';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Condition?: unknown };

// Two synths for the whole file: the defaults, and the sample context of the README.
let stack: ShareMigrationStack;
let template: Template;
let resources: Record<string, Resource>;
let sampleContext: Record<string, unknown>;
let sample: { stack: ShareMigrationStack; template: Template };

beforeAll(() => {
  ({ stack, template } = synthesizeStack());
  resources = template.toJSON().Resources;
  sampleContext = JSON.parse(readFileSync(repoPath('cdk.context.sample.json'), 'utf8'));
  sample = synthesizeStack(sampleContext);
});

const ofType = (type: string, from: Record<string, Resource> = resources): [string, Resource][] =>
  Object.entries(from).filter(([, resource]) => resource.Type === type);
const getAtt = (construct: IConstruct, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId(construct), attribute] });
const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
const actionsOf = (statement: Statement): string[] => [statement.Action].flat();
/** Every statement of every IAM policy attached to the role. */
const statementsOf = (role: IConstruct): Statement[] =>
  ofType('AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([ref(role)]))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
const xrayStatement = { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' };
const ownLogsStatement = (fn: IConstruct) => ({
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Effect: 'Allow',
  Resource: getAtt(fn.node.scope!.node.findChild(`${fn.node.id}Logs`)),
});

/** The functions that publish task_state changes: the API and the steps that declare the event bus (function-permissions.ts). */
const publishersOf = () => [
  stack.api.handler,
  ...ALL_STEPS.filter((step) => FUNCTION_PERMISSIONS[step].eventBus !== undefined).map((step) => stack.lambdas.forStep(step)),
  // The ended-execution cleanup ends migrations, as the cleanup step does.
  stack.lambdas.executionEnded,
];

/** `/`, `/v2`, `/v2/{proxy+}`... of every API Gateway resource id, from the template's PathPart chain. */
function apiPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  const pathOf = (resourceId: unknown): string => {
    if (JSON.stringify(resourceId) === JSON.stringify(getAtt(stack.api.restApi, 'RootResourceId'))) return '/';
    const id = (resourceId as { Ref: string }).Ref;
    const resource = resources[id]!;
    const parent = pathOf(resource.Properties.ParentId);
    return `${parent === '/' ? '' : parent}/${resource.Properties.PathPart}`;
  };
  for (const [, method] of ofType('AWS::ApiGateway::Method')) paths.set(JSON.stringify(method.Properties.ResourceId), pathOf(method.Properties.ResourceId));
  return paths;
}

describe('Point 4: the API behind a TOKEN authorizer', () => {
  it('authorizes every method on every path with the TOKEN authorizer, except GET / and GET /v2 (version discovery) and GET /openapi.json', () => {
    // Prepare
    const paths = apiPaths();
    const methods = ofType('AWS::ApiGateway::Method').map(([, method]) => ({
      route: `${method.Properties.HttpMethod} ${paths.get(JSON.stringify(method.Properties.ResourceId))}`,
      authorizationType: method.Properties.AuthorizationType,
      authorizerId: method.Properties.AuthorizerId,
    }));
    const open = new Set(OPEN_ROUTES.map((route) => `${route.method} ${route.path}`));

    // Assess: the routes there are, then each one's authorization.
    expect(methods.map((m) => m.route).sort()).toEqual(['ANY /', 'ANY /openapi.json', 'ANY /v2', 'ANY /v2/{proxy+}', 'ANY /{proxy+}', 'GET /', 'GET /openapi.json', 'GET /v2']);
    for (const method of methods) {
      if (open.has(method.route)) expect(method, method.route).toEqual({ route: method.route, authorizationType: 'NONE', authorizerId: undefined });
      else expect(method, method.route).toEqual({ route: method.route, authorizationType: 'CUSTOM', authorizerId: ref(stack.api.authorizer) });
    }
  });

  it('proxies every method to the API function', () => {
    // Assess
    for (const [id, method] of ofType('AWS::ApiGateway::Method')) {
      expect(method.Properties.Integration, id).toMatchObject({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: { 'Fn::Join': ['', expect.arrayContaining([getAtt(stack.api.handler)])] },
      });
    }
  });

  it('has a TOKEN authorizer on X-Auth-Token whose answers API Gateway caches for 5 minutes', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: `method.request.header.${AUTH_TOKEN_HEADER}`,
      AuthorizerResultTtlInSeconds: 300,
      RestApiId: ref(stack.api.restApi),
      AuthorizerUri: { 'Fn::Join': ['', Match.arrayWith([getAtt(stack.api.authorizerFunction)])] },
    });
  });

  it('gives the authorizer the token secret and the admin hash, and lets it read that secret and nothing else', () => {
    // Assess
    expect(resources[logicalId(stack.api.authorizerFunction)]!.Properties.Environment.Variables).toEqual({
      SMIG_TOKENS_SECRET_ARN: ref(stack.api.tokensSecret),
      SMIG_ADMIN_TOKEN_SHA256: { Ref: ADMIN_TOKEN_SHA256_PARAMETER },
      SMIG_TOKENS_MAX_AGE_SECONDS: '300',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(statementsOf(stack.api.authorizerFunction.role!)).toEqual([
      xrayStatement,
      ownLogsStatement(stack.api.authorizerFunction),
      // The one call its bundle makes (test/cdk/function-permissions.test.ts): no DescribeSecret.
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: ref(stack.api.tokensSecret) },
    ]);
  });

  it('creates the token secret with no tokens, as the documented JSON', () => {
    // Assess
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: '{"tokens":[]}' });
  });

  it('throttles every method of the stage, logs errors without request data, and traces with X-Ray', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [
        { HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR', DataTraceEnabled: false },
      ],
    });
  });

  it('writes one JSON access log line per request, caller and outcome included, to an encrypted log group', () => {
    // Prepare
    const [, stage] = ofType('AWS::ApiGateway::Stage')[0]!;
    const { DestinationArn, Format } = stage.Properties.AccessLogSetting;

    // Assess
    // The log group's ARN without the ":*" suffix of its Arn attribute (@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard).
    expect(DestinationArn).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:', ref(stack.api.accessLogGroup)]],
    });
    expect(JSON.parse(Format)).toMatchObject({
      requestId: '$context.requestId',
      sourceIp: '$context.identity.sourceIp',
      principalId: '$context.authorizer.principalId',
      projectId: '$context.authorizer.project_id',
      httpMethod: '$context.httpMethod',
      path: '$context.path',
      status: '$context.status',
      authorizerError: '$context.authorizer.error',
    });
    expect(resources[logicalId(stack.api.accessLogGroup)]!.Properties).toEqual({ RetentionInDays: 365, KmsKeyId: getAtt(stack.operationsKey.key) });
  });

  it('checks every authorized request body against the Manila body model before the function runs', () => {
    // Prepare
    const [validatorId, validator] = ofType('AWS::ApiGateway::RequestValidator')[0]!;
    const [modelId, model] = ofType('AWS::ApiGateway::Model')[0]!;

    // Assess
    expect(validator.Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    expect(model.Properties).toMatchObject({ ContentType: 'application/json', Name: 'ManilaRequestBody' });
    expect(model.Properties.Schema).toMatchObject({ title: 'ManilaRequestBody', type: 'object', maxProperties: REQUEST_BODY_LIMITS.topLevelKeys });
    for (const [id, method] of ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.AuthorizationType === 'CUSTOM')) {
      expect(method.Properties, id).toMatchObject({ RequestValidatorId: { Ref: validatorId }, RequestModels: { 'application/json': { Ref: modelId } } });
    }
  });

  it('bounds the body: one object of a few keys, nesting, properties, items and string lengths all limited', () => {
    // Prepare: the schema as the template renders it (JSON Schema draft 4).
    const [, model] = ofType('AWS::ApiGateway::Model')[0]!;
    const schema = model.Properties.Schema as Record<string, any>;
    expect(requestBodySchema().title).toBe(schema['title']);
    let level = schema['additionalProperties'];
    let depth = 0;
    while (level.items !== undefined) {
      expect(level).toMatchObject({ maxLength: REQUEST_BODY_LIMITS.stringLength, maxItems: REQUEST_BODY_LIMITS.items, maxProperties: REQUEST_BODY_LIMITS.properties });
      expect(level.additionalProperties).toEqual(level.items);
      level = level.items;
      depth += 1;
    }

    // Assess: objects and arrays stop at `depth`; below it only bounded scalars.
    expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', maxProperties: REQUEST_BODY_LIMITS.topLevelKeys });
    expect(depth).toBe(REQUEST_BODY_LIMITS.depth);
    expect(level).toEqual({ type: ['string', 'number', 'integer', 'boolean', 'null'], maxLength: REQUEST_BODY_LIMITS.stringLength });
  });

  it('answers refusals API Gateway makes itself in Manila fault bodies', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseTemplates: { 'application/json': '{"unauthorized": {"code": 401, "message": "The request you have made requires authentication."}}' },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'BAD_REQUEST_BODY' });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'THROTTLED' });
  });
});

describe('Point 6: events and operations', () => {
  it('creates the share-migration event bus', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::EventBus', { Name: DEFAULT_EVENT_BUS_NAME });
  });

  it('grants events:PutEvents on that bus, exactly, to the API function and every step function that changes a task_state, with its name in their environment', () => {
    // Prepare
    const putEvents = { Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(stack.events.bus) };

    // Assess
    for (const fn of publishersOf()) {
      expect(statementsOf(fn.role!), fn.node.path).toContainEqual(putEvents);
      expect(resources[logicalId(fn)]!.Properties.Environment.Variables[EVENT_BUS_NAME_ENV], fn.node.path).toEqual(ref(stack.events.bus));
    }
  });

  it('grants events:PutEvents to no one else but the rule forwarding copy task failures to the bus', () => {
    // Prepare
    const publishers = ofType('AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties.PolicyDocument.Statement as Statement[]).some((s) => actionsOf(s).includes('events:PutEvents')))
      .map(([, policy]) => policy.Properties.Roles[0].Ref as string);
    const [ruleId] = ofType('AWS::Events::Rule').find(([, rule]) => rule.Properties.Targets?.[0]?.RoleArn !== undefined)!;
    const forwardingRole = resources[ruleId]!.Properties.Targets[0].RoleArn['Fn::GetAtt'][0];

    // Assess
    expect(publishers.sort()).toEqual([...publishersOf().map((fn) => logicalId(fn.role!)), forwardingRole].sort());
  });

  it('runs every function with active tracing and Powertools settings, under its own role with no AWS managed policy', () => {
    // Assess
    const functions = ofType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties.Environment?.Variables?.NODE_OPTIONS !== undefined);
    expect(functions).toHaveLength(ALL_STEPS.length + 3); // the steps, the API, the authorizer, the ended-execution cleanup
    for (const [id, fn] of functions) {
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Environment.Variables, id).toMatchObject({ POWERTOOLS_SERVICE_NAME: SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE });
      expect(fn.Properties.LoggingConfig, id).toEqual({ LogGroup: { Ref: expect.stringMatching(/Logs/) } });
      const role = resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('logs every execution event with its data to an encrypted log group, and traces executions with X-Ray', () => {
    // Prepare
    const logGroup = stack.node.findChild('WorkflowLogs');

    // Assess
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(logGroup) } }],
        IncludeExecutionData: true,
        Level: 'ALL',
      },
      TracingConfiguration: { Enabled: true },
    });
    expect(resources[logicalId(logGroup)]!.Properties).toEqual({ RetentionInDays: 90, KmsKeyId: getAtt(stack.operationsKey.key) });
  });

  it('puts on the state machine role what logging and tracing need, on "*" only where those services take no resource', () => {
    // Assess
    expect(statementsOf(stack.workflow.stateMachine.role)).toContainEqual({
      Action: [
        'ecs:DescribeTasks',
        'ecs:StopTask',
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ],
      Effect: 'Allow',
      Resource: '*',
    });
  });

  it('alarms on failed executions (AWS/States ExecutionsFailed of the state machine)', () => {
    // Assess
    expect(resources[logicalId(stack.monitoring.failedExecutionsAlarm)]!.Properties).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: ref(stack.workflow.stateMachine) }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(stack.monitoring.topic)],
      OKActions: [ref(stack.monitoring.topic)],
    });
  });

  it('matches copy tasks of the copy cluster that stop with a failure exit code or fail to start, and forwards them to the bus', () => {
    // Assess
    expect(resources[logicalId(stack.monitoring.copyTaskFailureRule)]!.Properties).toMatchObject({
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [getAtt(stack.copyTask.cluster)],
          lastStatus: ['STOPPED'],
          $or: [
            { containers: { name: ['copy'], exitCode: [{ 'anything-but': [...COPY_EXIT_CODES_NOT_FAILED] }] } },
            { stopCode: ['TaskFailedToStart'] },
          ],
        },
      },
      State: 'ENABLED',
      Targets: [{ Arn: getAtt(stack.events.bus), Id: 'Target0', RoleArn: expect.anything() }],
    });
    expect(COPY_EXIT_CODES_NOT_FAILED).toEqual([0, 143]);
  });

  it('alarms on failed copy tasks (AWS/Events TriggeredRules of that rule)', () => {
    // Assess
    expect(resources[logicalId(stack.monitoring.failedCopyTasksAlarm)]!.Properties).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'RuleName', Value: ref(stack.monitoring.copyTaskFailureRule) }],
      Statistic: 'Sum',
      Threshold: 1,
      AlarmActions: [ref(stack.monitoring.topic)],
    });
  });

  it('alarms on authorizer errors: the authorizer Lambda Errors less the tokens it refused (TokenRejected)', () => {
    // Assess
    expect(resources[logicalId(stack.monitoring.authorizerErrorsAlarm)]!.Properties).toMatchObject({
      Metrics: [
        { Id: 'expr_1', Expression: 'FILL(errors, 0) - FILL(rejected, 0)', Label: expect.any(String) },
        {
          Id: 'errors',
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: ref(stack.api.authorizerFunction) }] },
            Period: 300,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'rejected',
          MetricStat: {
            Metric: { Namespace: METRICS_NAMESPACE, MetricName: MetricName.TOKEN_REJECTED, Dimensions: [{ Name: 'service', Value: SERVICE_NAME }] },
            Period: 300,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
      ],
      Threshold: 1,
      AlarmActions: [ref(stack.monitoring.topic)],
    });
  });

  it('notifies an SNS topic encrypted with the operations key, which CloudWatch may use', () => {
    // Prepare
    const keyPolicy = resources[logicalId(stack.operationsKey.key)]!.Properties.KeyPolicy.Statement as Statement[];

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(stack.operationsKey.key) });
    expect(keyPolicy).toContainEqual(
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Principal: { Service: 'cloudwatch.amazonaws.com' } }),
    );
    expect(resources[logicalId(stack.operationsKey.key)]!.Properties.EnableKeyRotation).toBe(true);
  });
});

describe('Point 7: safe defaults', () => {
  it('protects every table from deletion and keeps point-in-time recovery, encrypted at rest', () => {
    // Assess
    for (const table of Object.values(stack.tables.byId)) {
      const resource = resources[logicalId(table)]!;
      expect(resource.Properties, table.node.path).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('encrypts the queue, the topic and the operational log groups at rest, and refuses plain HTTP to the queue and topic', () => {
    // Assess
    for (const [id, queue] of ofType('AWS::SQS::Queue')) expect(queue.Properties.SqsManagedSseEnabled ?? queue.Properties.KmsMasterKeyId, id).toBeTruthy();
    for (const [id, topic] of ofType('AWS::SNS::Topic')) expect(topic.Properties.KmsMasterKeyId, id).toBeDefined();
    for (const type of ['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
      template.hasResourceProperties(type, {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
    for (const name of ['WorkflowLogs', 'ApiAccessLogs', 'VpcFlowLogs']) {
      expect(resources[logicalId(stack.node.findChild(name))]!.Properties.KmsKeyId, name).toEqual(getAtt(stack.operationsKey.key));
    }
  });

  it('writes no IAM statement with a wildcard action', () => {
    // Assess
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        expect(actionsOf(statement).filter((action) => action.includes('*')), id).toEqual([]);
      }
    }
  });

  it('puts "*" as a resource only with actions AWS authorizes on no narrower resource', () => {
    // Prepare: each with why; anything new on "*" must be added here with its reason.
    const onlyOnStar = new Set([
      // X-Ray has no resource types (Lambda active tracing, Step Functions tracing).
      'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
      // CloudWatch Logs vended log delivery (Step Functions execution logging) takes "*".
      'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
      'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
      // aws-stepfunctions-tasks EcsRunTask (.sync) grants these on "*" for the task it started (acknowledged in nag-acknowledgments.ts).
      'ecs:StopTask', 'ecs:DescribeTasks',
      // Pulling the copy image from the asset repository (the pull actions name the repository).
      'ecr:GetAuthorizationToken',
      // Per-migration copy task definitions: none of these has resource-level permissions.
      'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition',
      // EFS backends (cdk/lib/efs-grants.ts): DescribeFileSystems without a file system id (a file-system backend's
      // listing); CreateFileSystem names no resource (only with the aws:RequestTag/smig:backend of a backend);
      // the EC2 actions EFS checks for a mount target's network interface; ClientConnections metrics (GetMetricData).
      'elasticfilesystem:DescribeFileSystems', 'elasticfilesystem:CreateFileSystem',
      'ec2:DescribeSubnets', 'ec2:DescribeNetworkInterfaces', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface',
      'cloudwatch:GetMetricData',
    ]);

    // Assess: the defaults, and the sample context, whose EFS backends make every EFS grant.
    for (const [id, policy] of [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::Policy', sample.template.toJSON().Resources)]) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        if (![statement.Resource].flat().includes('*')) continue;
        expect(actionsOf(statement).filter((action) => !onlyOnStar.has(action)), id).toEqual([]);
      }
    }
  });

  it.each([
    ['the defaults', () => stack],
    ['the sample context (existing VPC, alarm email)', () => sample.stack],
    // The defaults set API Gateway's logging role (test/cdk/deploy-defaults.test.ts); this leaves it to the account.
    ['an existing token secret and the account\'s own API Gateway logging role', () => synthesizeStack({
      [ContextKey.TOKENS_SECRET_ARN]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:share-migration/tokens-AbCdEf',
      [ContextKey.API_GATEWAY_CLOUDWATCH_ROLE]: false,
    }).stack],
  ])('leaves no cdk-nag AwsSolutions finding, error or warning, unacknowledged, with %s', (_, stackUnderTest) => {
    // Act
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stackUnderTest());

    // Assess
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledged finding a reason that says why', () => {
    // Prepare
    const acknowledgments = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));

    // Assess
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgments) expect(reason.length, id).toBeGreaterThan(60);
  });
});

describe('Point 8: deploy-time configuration', () => {
  it('synthesizes the sample context offline: no new VPC, the copy tasks in the given subnets and VPC', () => {
    // Prepare
    const sampleResources = sample.template.toJSON().Resources as Record<string, Resource>;
    const [, stateMachine] = ofType('AWS::StepFunctions::StateMachine', sampleResources)[0]!;

    // Assess
    expect(ofType('AWS::EC2::VPC', sampleResources)).toEqual([]);
    expect(ofType('AWS::EC2::NatGateway', sampleResources)).toEqual([]);
    sample.template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: sampleContext[ContextKey.VPC_ID] });
    const definition = JSON.stringify(stateMachine.Properties.DefinitionString);
    for (const subnet of sampleContext[ContextKey.SUBNET_IDS] as string[]) expect(definition).toContain(subnet);
  });

  it('takes the backends (as SSM parameters), the alarm email and the admin token parameter from the sample', () => {
    // Assess
    // One SSM parameter per backend (test/cdk/backend-parameters.test.ts), none in a function's environment.
    const parameters = ofType('AWS::SSM::Parameter', sample.template.toJSON().Resources).map(([, parameter]) => JSON.parse(parameter.Properties.Value as string) as unknown);
    expect({ backends: parameters }).toEqual(sampleContext[ContextKey.BACKENDS]);
    sample.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: sampleContext[ContextKey.ALARM_EMAIL] });
    // The sample leaves the admin token to the NoEcho parameter: a hash in a sample file would be a known token.
    expect(sample.template.toJSON().Parameters[ADMIN_TOKEN_SHA256_PARAMETER]).toMatchObject({ NoEcho: true });
  });

  it('takes the subnets and zones as comma-separated strings too (cdk synth -c)', () => {
    // Act
    const { template: fromFlags } = synthesizeStack({
      [ContextKey.VPC_ID]: 'vpc-0123456789abcdef0',
      [ContextKey.SUBNET_IDS]: 'subnet-0a1b2c3d4e5f60718, subnet-0b1c2d3e4f5a60729',
      [ContextKey.AVAILABILITY_ZONES]: 'eu-west-1a,eu-west-1b',
    });

    // Assess
    expect(JSON.stringify(fromFlags.toJSON())).toContain('subnet-0b1c2d3e4f5a60729');
    expect(ofType('AWS::EC2::VPC', fromFlags.toJSON().Resources)).toEqual([]);
  });

  it('uses an existing token secret given by its ARN instead of creating one', () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:share-migration/tokens-AbCdEf';

    // Act
    const { stack: withSecret, template: withSecretTemplate } = synthesizeStack({ [ContextKey.TOKENS_SECRET_ARN]: arn });

    // Assess
    withSecretTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(withSecretTemplate.toJSON().Resources[logicalId(withSecret.api.authorizerFunction)].Properties.Environment.Variables.SMIG_TOKENS_SECRET_ARN).toBe(arn);
  });

  it('lets the authorizer ask an existing Keystone the context names, reading that credentials secret and nothing more', () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:share-migration/keystone-GhIjKl';

    // Act
    const { stack: withKeystone, template: withKeystoneTemplate } = synthesizeStack({
      [ContextKey.KEYSTONE_URL]: 'https://keystone.example.net:5000/v3', [ContextKey.KEYSTONE_CREDENTIALS_SECRET_ARN]: arn,
    });

    // Assess
    const authorizerFn = withKeystone.api.authorizerFunction;
    expect(withKeystoneTemplate.toJSON().Resources[logicalId(authorizerFn)].Properties.Environment.Variables).toMatchObject({
      SMIG_KEYSTONE_URL: 'https://keystone.example.net:5000/v3',
      SMIG_KEYSTONE_CREDENTIALS_SECRET_ARN: arn,
      SMIG_KEYSTONE_CACHE_SECONDS: '300',
    });
    const statements = Object.values(withKeystoneTemplate.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([ref(authorizerFn.role!)]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
    expect(statements).toEqual([
      xrayStatement,
      ownLogsStatement(authorizerFn),
      // The two secrets, in one statement (the stack minimizes policies).
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: [arn, ref(withKeystone.api.tokensSecret)] },
    ]);
  });

  it.each([
    ['a VPC without subnets', { [ContextKey.VPC_ID]: 'vpc-0123456789abcdef0' }, /needs the copy tasks' private subnets and their zones/],
    ['subnets without a VPC', { [ContextKey.SUBNET_IDS]: 'subnet-0a1b2c3d4e5f60718' }, /go with vpcId/],
    ['a VPC id that is not one', { [ContextKey.VPC_ID]: 'my-vpc', [ContextKey.SUBNET_IDS]: 'subnet-0a1b2c3d', [ContextKey.AVAILABILITY_ZONES]: 'eu-west-1a' }, /must be a VPC id/],
    [
      'subnets not a multiple of the zones',
      { [ContextKey.VPC_ID]: 'vpc-0123456789abcdef0', [ContextKey.SUBNET_IDS]: 'subnet-0a1b2c3d,subnet-0b1c2d3e,subnet-0c1d2e3f', [ContextKey.AVAILABILITY_ZONES]: 'eu-west-1a,eu-west-1b' },
      /same number of subnets for each of the 2 availabilityZones/,
    ],
    ['a secret name instead of its complete ARN', { [ContextKey.TOKENS_SECRET_ARN]: 'share-migration/tokens' }, /must be a secret's complete ARN/],
    ['a Keystone without its credentials secret', { [ContextKey.KEYSTONE_URL]: 'https://keystone.example.net:5000' }, /keystoneUrl and keystoneCredentialsSecretArn go together/],
    [
      'a Keystone over plain http',
      { [ContextKey.KEYSTONE_URL]: 'http://keystone.example.net:5000', [ContextKey.KEYSTONE_CREDENTIALS_SECRET_ARN]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-GhIjKl' },
      /keystone.url must be Keystone's https auth_url/,
    ],
    ['an EFS backend without region', { [ContextKey.BACKENDS]: { backends: [{ kind: 'efs', backend: 'gold', mode: 'access-point', file_system_id: 'fs-0123456789abcdef0' }] } }, /region is required/],
  ])('fails at synth, saying what to give, on %s', (_, context, message) => {
    // Act & Assess
    expect(() => synthesizeStack(context)).toThrow(message);
  });
});

describe('Point 2: copy tasks reach the EFS mount targets', () => {
  it('lets the copy tasks into each EFS backend\'s mount-target security group on NFS (2049), and nothing else', () => {
    // Prepare
    const { template } = synthesizeStack({ [ContextKey.EFS_SECURITY_GROUP_IDS]: 'sg-0123456789abcdef0,sg-0fedcba9876543210' });

    // Assess
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => typeof p.GroupId === 'string' && p.GroupId.startsWith('sg-'));
    expect(ingress).toEqual(['sg-0123456789abcdef0', 'sg-0fedcba9876543210'].map((GroupId) => ({
      GroupId,
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
      Description: 'share-migration copy tasks mount the exports over NFS',
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^CopyTaskSecurityGroup/), 'GroupId'] },
    })));
  });

  it('refuses a security group id that is not one', () => {
    expect(() => synthesizeStack({ [ContextKey.EFS_SECURITY_GROUP_IDS]: 'default' })).toThrow(/is not a security group id/);
  });
});

describe('Point 2: the copy task may mount the EFS backends', () => {
  it('lets the copy task role mount, write and act as root on the named file systems and on those its file-system backends create', () => {
    // Assess: the sample context has an access-point backend (fs-0123456789abcdef0) and a file-system backend (silver)
    const actions = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientRootAccess', 'elasticfilesystem:ClientWrite'];
    const policies = Object.values(sample.template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('CopyTaskTaskDefinitionTaskRole'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
      .filter((s) => JSON.stringify(s.Action).includes('elasticfilesystem'));
    expect(statements).toEqual([
      { Action: actions, Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':elasticfilesystem:eu-west-1:', { Ref: 'AWS::AccountId' }, ':file-system/fs-0123456789abcdef0']] } },
      {
        Action: actions, Effect: 'Allow',
        Condition: { StringEquals: { 'aws:ResourceTag/smig:backend': ['efs@silver'] } },
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':elasticfilesystem:eu-west-1:', { Ref: 'AWS::AccountId' }, ':file-system/*']] },
      },
    ]);
  });
});
