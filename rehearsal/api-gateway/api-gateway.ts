/**
 * API Gateway as the rehearsal plays it, from the REST API in the template: the stage's base path, the
 * resource tree and its methods, the TOKEN authorizer (its identity source, its cached answers, the 401
 * and 403 it gives), the request body model the methods validate, and the Lambda proxy integration,
 * each invocation allowed by the functions' resource policies (the template's Lambda permissions for
 * apigateway.amazonaws.com). Requests reach the API bundle with the authorizer's context, as API
 * Gateway hands it over.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { Ajv } from 'ajv';
import { toProxyEvent } from '../../local/http-server.ts';
import type { RehearsalStack } from '../aws/rehearsal-stack.ts';
import type { PolicyDocument, PolicyStatement } from '../iam/evaluator.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import { LambdaFunctionError, type LambdaFunctions, type StackFunction } from '../lambda/lambda-functions.ts';

interface ApiMethod {
  readonly httpMethod: string;
  /** `/v2/{proxy+}` */
  readonly resourcePath: string;
  readonly authorizerId?: string;
  readonly function: StackFunction;
  readonly validateBody?: (body: unknown) => string | undefined;
}

interface Authorizer {
  readonly id: string;
  readonly header: string;
  readonly ttlSeconds: number;
  readonly function: StackFunction;
}

interface CachedPolicy {
  readonly until: number;
  readonly outcome: { readonly allowed: true; readonly policy: PolicyDocument; readonly principalId: string; readonly context: Record<string, unknown> } | { readonly allowed: false };
}

export class ApiGateway {
  private readonly stack: RehearsalStack;
  private readonly functions: LambdaFunctions;
  private readonly gate: IamGate;
  private readonly apiId: string;
  private readonly stage: string;
  private readonly methods: readonly ApiMethod[];
  private readonly authorizers: ReadonlyMap<string, Authorizer>;
  private readonly gatewayResponses: ReadonlyMap<string, string>;
  private readonly functionPolicies: ReadonlyMap<string, PolicyDocument>;
  private readonly cache = new Map<string, CachedPolicy>();
  private server: Server | undefined;
  private baseUrl = '';

  constructor(stack: RehearsalStack, functions: LambdaFunctions, gate: IamGate) {
    this.stack = stack;
    this.functions = functions;
    this.gate = gate;
    const apis = stack.resourcesOf('AWS::ApiGateway::RestApi');
    if (apis.length !== 1) throw new Error(`Expected one REST API in the template, found ${apis.length}`);
    this.apiId = String(stack.ref(apis[0]![0]));
    const stages = stack.resourcesOf('AWS::ApiGateway::Stage');
    this.stage = String(stack.resolve<{ StageName: string }>(stages[0]![1].Properties).StageName);
    this.authorizers = this.readAuthorizers();
    this.methods = this.readMethods();
    this.gatewayResponses = new Map(stack.resourcesOf('AWS::ApiGateway::GatewayResponse').map(([, resource]) => {
      const properties = stack.resolve<{ ResponseType: string; ResponseTemplates?: Record<string, string> }>(resource.Properties);
      return [properties.ResponseType, properties.ResponseTemplates?.['application/json'] ?? ''];
    }));
    this.functionPolicies = this.readFunctionPolicies();
  }

  /** The stage's invoke URL, as the stack's ApiUrl output gives it: `http://127.0.0.1:<port>/<stage>/`. */
  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.serve(req, res).catch((error: unknown) => send(res, 500, { message: `rehearsal: ${(error as Error).stack}` }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${this.stage}/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://rehearsal');
    const prefix = `/${this.stage}`;
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      send(res, 403, { message: 'Forbidden' });
      return;
    }
    const path = url.pathname.slice(prefix.length) || '/';
    const httpMethod = req.method ?? 'GET';
    const method = this.match(httpMethod, path);
    if (!method) {
      // API Gateway answers a path or method it does not have as a missing authentication token.
      send(res, 403, { message: 'Missing Authentication Token' });
      return;
    }
    const methodArn = `arn:${this.stack.environment.partition}:execute-api:${this.stack.environment.region}:${this.stack.environment.account}:${this.apiId}/${this.stage}/${httpMethod}${path}`;
    let authorizerContext: Record<string, unknown> | null = null;
    if (method.authorizerId) {
      const authorizer = this.authorizers.get(method.authorizerId)!;
      const token = headerOf(req, authorizer.header);
      if (!token) {
        this.gatewayResponse(res, 'UNAUTHORIZED', 401);
        return;
      }
      const outcome = await this.authorize(authorizer, token, methodArn);
      if (!outcome.allowed) {
        this.gatewayResponse(res, 'UNAUTHORIZED', 401);
        return;
      }
      if (!allows(outcome.policy, methodArn)) {
        send(res, 403, { Message: 'User is not authorized to access this resource with an explicit deny' });
        return;
      }
      authorizerContext = { ...outcome.context, principalId: outcome.principalId };
    }
    if (method.validateBody && body !== '' && /json/.test(headerOf(req, 'content-type') ?? 'application/json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      const problem = parsed === undefined ? 'Invalid JSON' : method.validateBody(parsed);
      if (problem !== undefined) {
        this.gatewayResponse(res, 'BAD_REQUEST_BODY', 400, problem);
        return;
      }
    }
    const sourceArn = `arn:${this.stack.environment.partition}:execute-api:${this.stack.environment.region}:${this.stack.environment.account}:${this.apiId}/${this.stage}/${httpMethod}${method.resourcePath === '/' ? '/' : method.resourcePath.replace(/\{[^}]+\}/g, '*')}`;
    if (!(await this.mayInvoke(method.function, methodArn, sourceArn))) {
      send(res, 500, { message: 'Internal server error' });
      return;
    }
    const requestId = randomUUID();
    const event = toProxyEvent(Object.assign(req, { url: `${path}${url.search}` }), body, requestId);
    const proxyPath = path.replace(/^\/v2\/?/, '');
    const fullEvent = {
      ...event,
      resource: method.resourcePath,
      path,
      pathParameters: method.resourcePath.includes('{proxy+}') ? { proxy: method.resourcePath.startsWith('/v2/') ? proxyPath : path.slice(1) } : null,
      requestContext: { ...event.requestContext, accountId: this.stack.environment.account, apiId: this.apiId, stage: this.stage, resourcePath: method.resourcePath, path: url.pathname, authorizer: authorizerContext },
    };
    let result: APIGatewayProxyResult;
    try {
      result = (await this.functions.invoke(method.function, fullEvent)) as APIGatewayProxyResult;
    } catch (error) {
      if (!(error instanceof LambdaFunctionError)) throw error;
      send(res, 502, { message: 'Internal server error' });
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
    const responseBody = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
    res.writeHead(result.statusCode, { ...headers, 'content-length': String(responseBody.length), 'x-amzn-requestid': requestId });
    res.end(responseBody);
  }

  private async authorize(authorizer: Authorizer, token: string, methodArn: string): Promise<CachedPolicy['outcome']> {
    const cached = this.cache.get(token);
    if (cached && cached.until > Date.now()) return cached.outcome;
    const sourceArn = `arn:${this.stack.environment.partition}:execute-api:${this.stack.environment.region}:${this.stack.environment.account}:${this.apiId}/authorizers/${authorizer.id}`;
    if (!(await this.mayInvoke(authorizer.function, sourceArn, sourceArn))) throw new Error(`API Gateway may not invoke the authorizer ${authorizer.function.logicalId}`);
    let outcome: CachedPolicy['outcome'];
    try {
      const result = (await this.functions.invoke(authorizer.function, { type: 'TOKEN', authorizationToken: token, methodArn })) as { principalId: string; policyDocument: PolicyDocument; context?: Record<string, unknown> };
      outcome = { allowed: true, policy: result.policyDocument, principalId: result.principalId, context: result.context ?? {} };
    } catch (error) {
      if (error instanceof LambdaFunctionError && error.errorMessage === 'Unauthorized') outcome = { allowed: false };
      else throw error;
    }
    this.cache.set(token, { until: Date.now() + authorizer.ttlSeconds * 1000, outcome });
    return outcome;
  }

  /** lambda:InvokeFunction by apigateway.amazonaws.com, as the function's resource policy allows it. */
  private async mayInvoke(fn: StackFunction, requestSourceArn: string, _templateSourceArn: string): Promise<boolean> {
    const record = await this.gate.authorizeOnBehalf(
      { kind: 'api-gateway', name: 'apigateway.amazonaws.com', roleLogicalId: fn.role.logicalId, roleArn: fn.arn, sessionArn: 'apigateway.amazonaws.com' },
      `lambda:Invoke ${fn.logicalId}`,
      [{ action: 'lambda:InvokeFunction', resource: fn.arn, context: { 'aws:SourceArn': requestSourceArn, 'aws:SourceAccount': this.stack.environment.account }, resourcePolicy: this.functionPolicies.get(fn.arn) ?? { Version: '2012-10-17', Statement: [] } }],
      'lambda',
      { principal: 'apigateway.amazonaws.com', identityPolicies: [] },
    );
    return record.allowed;
  }

  private match(httpMethod: string, path: string): ApiMethod | undefined {
    const candidates = this.methods.filter((method) => matchesPath(method.resourcePath, path));
    // An exact path beats {proxy+}; a method beats ANY.
    candidates.sort((a, b) => Number(a.resourcePath.includes('{')) - Number(b.resourcePath.includes('{')) || Number(a.httpMethod === 'ANY') - Number(b.httpMethod === 'ANY'));
    return candidates.find((method) => method.httpMethod === httpMethod || method.httpMethod === 'ANY');
  }

  private gatewayResponse(res: ServerResponse, type: string, status: number, validationError = ''): void {
    const template = this.gatewayResponses.get(type);
    const body = template
      ? template.replace('$util.escapeJavaScript($context.error.validationErrorString)', validationError.replace(/"/g, '\\"'))
      : JSON.stringify({ message: type === 'UNAUTHORIZED' ? 'Unauthorized' : 'Invalid request body' });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }

  private readAuthorizers(): Map<string, Authorizer> {
    const authorizers = new Map<string, Authorizer>();
    for (const [logicalId, resource] of this.stack.resourcesOf('AWS::ApiGateway::Authorizer')) {
      const properties = this.stack.resolve<{ Type: string; IdentitySource: string; AuthorizerResultTtlInSeconds?: number; AuthorizerUri: string }>(resource.Properties);
      if (properties.Type !== 'TOKEN') throw new Error(`Authorizer ${logicalId} is ${properties.Type}; the rehearsal plays TOKEN authorizers`);
      const functionArn = /functions\/(.+)\/invocations$/.exec(properties.AuthorizerUri)?.[1] ?? '';
      const fn = this.functions.byArn(functionArn);
      if (!fn) throw new Error(`Authorizer ${logicalId} invokes ${functionArn}, not a function of the template`);
      authorizers.set(logicalId, { id: logicalId, header: properties.IdentitySource.replace('method.request.header.', ''), ttlSeconds: properties.AuthorizerResultTtlInSeconds ?? 300, function: fn });
    }
    return authorizers;
  }

  private readMethods(): ApiMethod[] {
    const paths = new Map<string, string>();
    const resources = this.stack.resourcesOf('AWS::ApiGateway::Resource');
    const rootId = `${this.apiId}.root`;
    const parentPath = (parentId: string): string | undefined => (parentId.endsWith('RootResourceId') || parentId === rootId ? '' : paths.get(parentId));
    // Parents first: repeat until every resource has its path.
    for (let pass = 0; pass < resources.length && paths.size < resources.length; pass++) {
      for (const [logicalId, resource] of resources) {
        const properties = resource.Properties as { ParentId: unknown; PathPart: string };
        const parent = typeof properties.ParentId === 'object' && properties.ParentId !== null && 'Ref' in properties.ParentId ? String((properties.ParentId as { Ref: string }).Ref) : 'RootResourceId';
        const base = parentPath(parent);
        if (base !== undefined) paths.set(logicalId, `${base}/${properties.PathPart}`);
      }
    }
    const models = new Map(this.stack.resourcesOf('AWS::ApiGateway::Model').map(([logicalId, resource]) => [logicalId, (resource.Properties as { Schema: Record<string, unknown> }).Schema]));
    const ajv = new Ajv({ strict: false, allErrors: false });
    return this.stack.resourcesOf('AWS::ApiGateway::Method').map(([logicalId, resource]) => {
      const raw = resource.Properties as { ResourceId: unknown; RequestModels?: Record<string, { Ref: string }>; RequestValidatorId?: unknown };
      const properties = this.stack.resolve<{ HttpMethod: string; AuthorizationType: string; AuthorizerId?: string; Integration: { Uri: string } }>(resource.Properties);
      const resourceRef = typeof raw.ResourceId === 'object' && raw.ResourceId !== null && 'Ref' in raw.ResourceId ? String((raw.ResourceId as { Ref: string }).Ref) : undefined;
      const resourcePath = resourceRef ? paths.get(resourceRef) ?? '/' : '/';
      const functionArn = /functions\/(.+)\/invocations$/.exec(properties.Integration.Uri)?.[1] ?? '';
      const fn = this.functions.byArn(functionArn);
      if (!fn) throw new Error(`Method ${logicalId} integrates ${functionArn}, not a function of the template`);
      const modelRef = raw.RequestModels?.['application/json']?.Ref;
      const schema = modelRef ? models.get(modelRef) : undefined;
      let validateBody: ApiMethod['validateBody'];
      if (schema && raw.RequestValidatorId !== undefined) {
        const { $schema: _draft, ...rest } = schema;
        const validate = ajv.compile(rest);
        validateBody = (body) => (validate(body) ? undefined : ajv.errorsText(validate.errors, { separator: '; ' }));
      }
      return {
        httpMethod: properties.HttpMethod,
        resourcePath,
        authorizerId: properties.AuthorizationType === 'CUSTOM' ? String((resource.Properties as { AuthorizerId: { Ref: string } }).AuthorizerId.Ref) : undefined,
        function: fn,
        validateBody,
      };
    });
  }

  /** The functions' resource policies, as Lambda builds them from the template's permissions. */
  private readFunctionPolicies(): Map<string, PolicyDocument> {
    const statements = new Map<string, PolicyStatement[]>();
    for (const [, resource] of this.stack.resourcesOf('AWS::Lambda::Permission')) {
      const properties = this.stack.resolve<{ Action: string; FunctionName: string; Principal: string; SourceArn?: string; SourceAccount?: string }>(resource.Properties);
      const fn = this.functions.byArn(properties.FunctionName);
      if (!fn) continue;
      const condition: Record<string, Record<string, unknown>> = {};
      if (properties.SourceArn) condition['ArnLike'] = { 'AWS:SourceArn': properties.SourceArn };
      if (properties.SourceAccount) condition['StringEquals'] = { 'AWS:SourceAccount': properties.SourceAccount };
      const list = statements.get(fn.arn) ?? [];
      list.push({ Effect: 'Allow', Principal: { Service: properties.Principal }, Action: properties.Action, Resource: fn.arn, ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}) });
      statements.set(fn.arn, list);
    }
    return new Map([...statements].map(([arn, list]) => [arn, { Version: '2012-10-17', Statement: list }]));
  }
}

function matchesPath(resourcePath: string, path: string): boolean {
  if (resourcePath === path || (resourcePath === '/' && path === '/')) return true;
  if (resourcePath.endsWith('/{proxy+}')) {
    const base = resourcePath.slice(0, -'/{proxy+}'.length);
    return path.startsWith(`${base}/`) && path.length > base.length + 1;
  }
  return false;
}

/** Whether an authorizer's policy allows execute-api:Invoke on the method (wildcards as IAM matches them). */
function allows(policy: PolicyDocument, methodArn: string): boolean {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement as PolicyStatement];
  const matches = (pattern: string): boolean => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(methodArn);
  const applies = (statement: PolicyStatement): boolean => {
    const actions = typeof statement.Action === 'string' ? [statement.Action] : statement.Action ?? [];
    const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource ?? [];
    return actions.some((action) => action === 'execute-api:Invoke' || action === 'execute-api:*' || action === '*') && resources.some(matches);
  };
  if (statements.some((statement) => statement.Effect === 'Deny' && applies(statement))) return false;
  return statements.some((statement) => statement.Effect === 'Allow' && applies(statement));
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
