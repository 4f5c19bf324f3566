import { Duration, RemovalPolicy, SecretValue, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { AuthorizerContextKey } from '../../lambdas/api/authorizer-context.ts';
import { OPENAPI_PATH } from '../../lambdas/api/paths.ts';
import { REQUEST_BODY_LIMITS } from '../../lambdas/api/request-limits.ts';
import { AuthorizerEnv } from '../../lambdas/composition/authorizer-env.ts';
import { CompositionEnv, MigrationFunction } from './migration-function.ts';
import type { MigrationTables } from './migration-tables.ts';
import { ServiceFunction } from './service-function.ts';

/** The `STEP_NAME` of the API function. */
export const API_STEP_NAME = 'api';

/** The environment variable that carries the state machine ARN into the API function. */
export const STATE_MACHINE_ARN_ENV = CompositionEnv.STATE_MACHINE_ARN;

/** What HashedTokenVerifier accepts: the lower-case hex SHA-256 of the admin token. */
export const ADMIN_TOKEN_SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** The header Manila clients send their token in, and the TOKEN authorizer's identity source. */
export const AUTH_TOKEN_HEADER = 'X-Auth-Token';

/**
 * The routes API Gateway answers without the authorizer: Manila's version discovery (`GET /`, 300
 * Multiple Choices, and `GET /v2`), which Manila serves without a token too and which returns only
 * version documents, and the API's OpenAPI description, which holds nothing but the API's shape.
 * Every other method and path, on every resource, goes through the authorizer.
 */
export const OPEN_ROUTES: readonly { readonly path: string; readonly method: string }[] = [
  { path: '/', method: 'GET' },
  { path: '/v2', method: 'GET' },
  { path: OPENAPI_PATH, method: 'GET' },
];

/**
 * The shape a request body must have for API Gateway to pass it on (the request validator's model,
 * JSON Schema draft 4). A REST API cannot cap a body's size below API Gateway's own 10 MB without AWS
 * WAF; this bounds its shape instead, so malformed and pathologically nested bodies are refused with
 * 400 at the edge without running the function. The numbers live with the API function, which
 * enforces the same limits itself (and the body size) where no API Gateway stands in front.
 */
export { REQUEST_BODY_LIMITS };

/** The request body model's JSON Schema, from REQUEST_BODY_LIMITS. */
export function requestBodySchema(): apigateway.JsonSchema {
  const limits = REQUEST_BODY_LIMITS;
  const scalar: apigateway.JsonSchema = {
    type: [
      apigateway.JsonSchemaType.STRING,
      apigateway.JsonSchemaType.NUMBER,
      apigateway.JsonSchemaType.INTEGER,
      apigateway.JsonSchemaType.BOOLEAN,
      apigateway.JsonSchemaType.NULL,
    ],
    maxLength: limits.stringLength,
  };
  // maxLength, maxItems and maxProperties each apply to their own type only, so one schema bounds a
  // value of any type; below `depth` levels only scalars are allowed.
  let value = scalar;
  for (let level = 0; level < limits.depth; level += 1) {
    value = { maxLength: limits.stringLength, maxItems: limits.items, maxProperties: limits.properties, items: value, additionalProperties: value };
  }
  return {
    schema: apigateway.JsonSchemaVersion.DRAFT4,
    title: 'ManilaRequestBody',
    type: apigateway.JsonSchemaType.OBJECT,
    maxProperties: limits.topLevelKeys,
    additionalProperties: value,
  };
}

export interface ManilaApiProps {
  readonly tables: MigrationTables;
  /** The migration workflow: the API starts executions and answers its migration_complete callback. */
  readonly stateMachine: sfn.IStateMachine;
  /** The copy tasks' cluster: migration_cancel stops the running copy task, by the task ARN it recorded. */
  readonly copyCluster: ecs.ICluster;
  /**
   * The SHA-256 hex (lower case) of the admin token. The authorizer accepts it as an admin of project
   * `admin`, next to the token secret's entries; the API function also checks it where no authorizer
   * ran. The token itself is never deployed. May be a token, e.g. a CfnParameter's value.
   */
  readonly adminTokenSha256: string;
  /**
   * The Secrets Manager secret of the hashed tokens the authorizer accepts:
   * `{"tokens":[{"sha256":"<hex>","role":"admin"|"member","project_id":"<project>","name":"<optional>"}]}`.
   * @default - a new secret holding `{"tokens":[]}` (only the admin token is valid until you add entries)
   */
  readonly tokensSecret?: secretsmanager.ISecret;
  /**
   * How long API Gateway keeps the authorizer's answer for one token (0 turns caching off). A removed
   * token stays valid this long, plus up to `tokensMaxAge` in the authorizer's own cache.
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * How long the authorizer uses a read of the token secret before reading it again.
   * @default Duration.minutes(5)
   */
  readonly tokensMaxAge?: Duration;
  /**
   * An existing Keystone whose tokens the authorizer accepts too (docs/identity.md, "An existing
   * Keystone"): its auth_url (https: the authorizer reaches it over the internet, with a service
   * password), the secret of the service's credentials (a clouds.yaml `auth` section, JSON; read access
   * is granted to the authorizer), and how long a validation is kept (a revoked token is refused at most
   * this long after, plus `authorizerCacheTtl`).
   * @default - none: only the hashed tokens
   */
  readonly keystone?: {
    readonly url: string;
    readonly credentialsSecret: secretsmanager.ISecret;
    /** @default Duration.minutes(5) */
    readonly cacheTtl?: Duration;
  };
  /**
   * Steady-state requests per second the stage accepts, all callers and methods together (API Gateway
   * answers 429 beyond it).
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Requests the stage accepts in a burst above the rate.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Where API Gateway writes one JSON line per request (access log).
   * @default - a new log group kept one year, encrypted by CloudWatch Logs' own key
   */
  readonly accessLogGroup?: logs.ILogGroup;
  /**
   * Whether this construct sets API Gateway's CloudWatch Logs role: the account setting (one per account
   * and region, `cloudwatchRoleArn`) that the stage's access and execution logging need, without which
   * the stage fails to deploy. On: a role with AmazonAPIGatewayPushToCloudWatchLogs, set as the account's
   * role (replacing any other), both kept when the stack is deleted so that the account's other APIs keep
   * logging. Off: the account's setting is left as it is, and must name a role already.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * More environment variables for the API function, next to the table names, STEP_NAME and the above.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The deployment stage, the first segment of every URL path.
   * @default 'prod'
   */
  readonly stageName?: string;
}

/**
 * Manila's v2 share migration routes: a regional API Gateway REST API that proxies every method and
 * path to the API function (lambdas/handlers/api.ts), behind a Lambda TOKEN authorizer on X-Auth-Token
 * (lambdas/handlers/authorizer.ts) except for version discovery (OPEN_ROUTES); throttled, access-logged
 * as JSON, X-Ray traced, with request bodies checked against REQUEST_BODY_LIMITS.
 */
export class ManilaApi extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly handler: MigrationFunction;
  readonly authorizerFunction: ServiceFunction;
  readonly authorizer: apigateway.TokenAuthorizer;
  readonly tokensSecret: secretsmanager.ISecret;
  /** The existing Keystone's credentials secret, if the API accepts its tokens. */
  readonly keystoneCredentialsSecret: secretsmanager.ISecret | undefined;
  readonly accessLogGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: ManilaApiProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.adminTokenSha256) && !ADMIN_TOKEN_SHA256_PATTERN.test(props.adminTokenSha256)) {
      throw new Error('ManilaApi: adminTokenSha256 must be the 64 lower-case hex digits of the admin token\'s SHA-256 (printf %s "$TOKEN" | sha256sum)');
    }
    this.handler = new MigrationFunction(this, 'Handler', {
      entry: 'lambdas/handlers/api.ts',
      stepName: API_STEP_NAME,
      tables: props.tables,
      description: 'share-migration: Manila v2 API',
      environment: {
        ...props.environment,
        [CompositionEnv.STATE_MACHINE_ARN]: props.stateMachine.stateMachineArn,
        [CompositionEnv.COPY_CLUSTER]: props.copyCluster.clusterArn,
        [CompositionEnv.ADMIN_TOKEN_SHA256]: props.adminTokenSha256,
      },
    });
    // Its grants (executions and task tokens, stopping a copy task of the cluster, the tables, the schedules,
    // the backends, EFS) are the stack's: FunctionGrants gives each function what function-permissions.ts declares.

    this.tokensSecret = props.tokensSecret ?? this.createTokensSecret();
    this.keystoneCredentialsSecret = props.keystone?.credentialsSecret;
    this.authorizerFunction = new ServiceFunction(this, 'AuthorizerFunction', {
      entry: 'lambdas/handlers/authorizer.ts',
      description: 'share-migration: API Gateway TOKEN authorizer on X-Auth-Token',
      timeout: Duration.seconds(10),
      environment: {
        [AuthorizerEnv.TOKENS_SECRET_ARN]: this.tokensSecret.secretArn,
        [AuthorizerEnv.ADMIN_TOKEN_SHA256]: props.adminTokenSha256,
        [AuthorizerEnv.TOKENS_MAX_AGE_SECONDS]: String((props.tokensMaxAge ?? Duration.minutes(5)).toSeconds()),
        ...(props.keystone ? keystoneEnvironment(props.keystone) : {}),
      },
    });
    // Reading this secret is granted by the stack too (FunctionGrants: GetSecretValue on it, nothing else).
    this.authorizer = new apigateway.TokenAuthorizer(this, 'Authorizer', {
      handler: this.authorizerFunction,
      identitySource: apigateway.IdentitySource.header(AUTH_TOKEN_HEADER),
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.minutes(5),
    });

    this.accessLogGroup = props.accessLogGroup ?? new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR });
    // Always explicit, so cdk.json's @aws-cdk/aws-apigateway:disableCloudWatchRole (which only picks the
    // default of an unset cloudWatchRole) does not decide whether the stage can log.
    const cloudWatchRole = props.cloudWatchRole ?? true;
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'share-migration: OpenStack Manila v2 share migration API',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole,
      // The role and the account setting are kept when the stack goes: the setting would otherwise name
      // a deleted role, and every API of the account and region would stop logging.
      ...(cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
        // Execution logging of errors only, never request or response data (tokens, bodies).
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
      },
    });
    this.addManilaFaults();
    this.addRoutes();
    if (cloudWatchRole) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level role API Gateway writes its logs with: AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it, and API Gateway names its execution log groups itself.',
      });
    }
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'No AWS WAF web ACL by default (a fixed monthly cost): every route but version discovery is behind the token authorizer and the stage is throttled. Associate your own web ACL with the stage where required.',
    });
  }

  /** Every method: the open routes without authorization, everything else through the authorizer with the body checked. */
  private addRoutes(): void {
    const integration = new apigateway.LambdaIntegration(this.handler, { proxy: true, allowTestInvoke: false });
    const model = this.restApi.addModel('RequestBody', {
      contentType: 'application/json',
      modelName: 'ManilaRequestBody',
      description: 'share-migration: the shape every request body must have (REQUEST_BODY_LIMITS)',
      schema: requestBodySchema(),
    });
    const validator = this.restApi.addRequestValidator('BodyValidator', {
      requestValidatorName: 'manila-request-body',
      validateRequestBody: true,
      // No parameter is declared required; on for completeness (cdk-nag APIG2 asks for both).
      validateRequestParameters: true,
    });
    const authorized: apigateway.MethodOptions = {
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
      requestValidator: validator,
      requestModels: { 'application/json': model },
    };
    const open = (method: apigateway.Method): void => {
      Validations.of(method).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: 'Version discovery and the OpenAPI description: Manila answers GET / and GET /v2 without a token; they and GET /openapi.json return only documents about the API, no data.' },
        { id: 'AwsSolutions-COG4', reason: 'Version discovery and the OpenAPI description: Manila answers GET / and GET /v2 without a token; they and GET /openapi.json return only documents about the API, no data.' },
      );
    };

    // API Gateway picks an explicit method over ANY on the same resource: GET of /, /v2 and /openapi.json is open,
    // every other method there, and every method on any other path, is authorized.
    const v2 = this.restApi.root.addResource('v2');
    const openApi = this.restApi.root.addResource(OPENAPI_PATH.slice(1));
    for (const resource of [this.restApi.root, v2, openApi]) {
      open(resource.addMethod('GET', integration, { authorizationType: apigateway.AuthorizationType.NONE }));
      this.authorizedMethod(resource.addMethod('ANY', integration, authorized));
    }
    this.authorizedMethod(v2.addResource('{proxy+}').addMethod('ANY', integration, authorized));
    this.authorizedMethod(this.restApi.root.addResource('{proxy+}').addMethod('ANY', integration, authorized));
  }

  private authorizedMethod(method: apigateway.Method): void {
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Manila clients authenticate with a token in X-Auth-Token (Keystone style), not a Cognito JWT: a Lambda TOKEN authorizer checks it against hashed tokens.',
    });
  }

  /** What API Gateway answers by itself, in Manila's fault shapes, so Manila clients read the reason. */
  private addManilaFaults(): void {
    const json = (body: string): Record<string, string> => ({ 'application/json': body });
    this.restApi.addGatewayResponse('Unauthorized', {
      type: apigateway.ResponseType.UNAUTHORIZED,
      templates: json('{"unauthorized": {"code": 401, "message": "The request you have made requires authentication."}}'),
    });
    this.restApi.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      templates: json('{"badRequest": {"code": 400, "message": "Invalid request body: $util.escapeJavaScript($context.error.validationErrorString)"}}'),
    });
    this.restApi.addGatewayResponse('Throttled', {
      type: apigateway.ResponseType.THROTTLED,
      templates: json('{"overLimit": {"code": 429, "message": "Too many requests: the API is throttled, retry later."}}'),
    });
  }

  /**
   * The secret's first value: no tokens (the admin token, from its hash, is valid regardless). It is
   * not a secret, so a plain value; add entries with `aws secretsmanager put-secret-value`, which a
   * later deploy leaves alone (the template's value does not change).
   */
  private createTokensSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'Tokens', {
      description: 'share-migration: SHA-256 hashes of the API tokens, with role and project: {"tokens":[{"sha256","role","project_id","name"}]}',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ tokens: [] })),
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The secret holds hashes of tokens the operator issues to Manila clients; rotating it means issuing new tokens to those clients, which a rotation function cannot do.',
    });
    return secret;
  }
}

/** The authorizer's environment for an existing Keystone; its URL checked at synth. */
function keystoneEnvironment(keystone: NonNullable<ManilaApiProps['keystone']>): Record<string, string> {
  if (!Token.isUnresolved(keystone.url) && !/^https:\/\/[^\s/]+/.test(keystone.url)) {
    throw new Error(`ManilaApi: keystone.url must be Keystone's https auth_url (the authorizer sends a service password and users' tokens to it over the internet), not ${JSON.stringify(keystone.url)}`);
  }
  return {
    [AuthorizerEnv.KEYSTONE_URL]: keystone.url,
    [AuthorizerEnv.KEYSTONE_CREDENTIALS_SECRET_ARN]: keystone.credentialsSecret.secretArn,
    [AuthorizerEnv.KEYSTONE_CACHE_SECONDS]: String((keystone.cacheTtl ?? Duration.minutes(5)).toSeconds()),
  };
}

/** One JSON object per request: who (source IP, authorizer principal), what, the outcome and the latencies. */
function accessLogFormat(): apigateway.AccessLogFormat {
  const field = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: field.contextRequestId(),
      extendedRequestId: field.contextExtendedRequestId(),
      requestTime: field.contextRequestTime(),
      sourceIp: field.contextIdentitySourceIp(),
      userAgent: field.contextIdentityUserAgent(),
      principalId: field.contextAuthorizerPrincipalId(),
      projectId: field.contextAuthorizer(AuthorizerContextKey.PROJECT_ID),
      httpMethod: field.contextHttpMethod(),
      resourcePath: field.contextResourcePath(),
      path: field.contextPath(),
      protocol: field.contextProtocol(),
      status: field.contextStatus(),
      responseLength: field.contextResponseLength(),
      responseLatency: field.contextResponseLatency(),
      authorizerStatus: field.contextAuthorizerStatus(),
      authorizerLatency: field.contextAuthorizerLatency(),
      authorizerError: field.contextAuthorizerError(),
      integrationStatus: field.contextIntegrationStatus(),
      integrationLatency: field.contextIntegrationLatency(),
      errorMessage: field.contextErrorMessage(),
      errorResponseType: field.contextErrorResponseType(),
      xrayTraceId: field.contextXrayTraceId(),
    }),
  );
}
