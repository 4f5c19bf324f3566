/**
 * The endpoint every rehearsed process talks to (AWS_ENDPOINT_URL): it recognises the caller by the
 * access key of its role session, works out what AWS would authorize for the call, evaluates that
 * against the caller's policies in the emulator's IAM, and answers AccessDenied where AWS would. Allowed
 * calls go on to moto (which authenticates them again and checks the action), or to the part of AWS the
 * rehearsal plays itself (Step Functions executions, ECS tasks). Every call is recorded.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessDenied, errorResponse, protocolOf, type WireResponse } from '../wire/aws-errors.ts';
import { ServiceModels, type ParsedRequest } from '../wire/service-models.ts';
import type { AuthorizationRecord, Caller, CallLog, CallRecord } from './call-log.ts';
import { authorize, type AuthorizationRequest, type NamedPolicy } from './evaluator.ts';
import { authorizationsFor, type EmulatorState } from './request-authorizations.ts';

/** A call the rehearsal serves itself instead of moto (it still went through authorization). */
export type Interceptor = (call: { readonly parsed: ParsedRequest; readonly caller: Caller }) => Promise<WireResponse | undefined>;

/** Completes moto's answer with what moto leaves out (EFS replication's protection state). */
export type ResponseTransform = (response: WireResponse, call: { readonly parsed: ParsedRequest }) => Promise<WireResponse> | WireResponse;

export interface IamGateOptions {
  readonly motoEndpoint: string;
  readonly models: ServiceModels;
  readonly state: EmulatorState;
  readonly log: CallLog;
  /** The identity policies of a role, as the emulator's IAM holds them. */
  readonly policiesOf: (roleLogicalId: string) => readonly NamedPolicy[];
}

export class IamGate {
  private readonly options: IamGateOptions;
  private readonly callers = new Map<string, Caller>();
  private readonly interceptors = new Map<string, Interceptor>();
  private readonly transforms = new Map<string, ResponseTransform>();
  private server: Server | undefined;
  private endpointUrl = '';

  constructor(options: IamGateOptions) {
    this.options = options;
  }

  get endpoint(): string {
    return this.endpointUrl;
  }

  /** Calls signed with this access key come from this caller. */
  registerCaller(accessKeyId: string, caller: Caller): void {
    this.callers.set(accessKeyId, caller);
  }

  /** `states:StartExecution` and the like: served by the rehearsal after authorization. */
  intercept(iamAction: string, interceptor: Interceptor): void {
    this.interceptors.set(iamAction, interceptor);
  }

  /** moto serves `iamAction`, and the rehearsal completes its answer. */
  transformResponse(iamAction: string, transform: ResponseTransform): void {
    this.transforms.set(iamAction, transform);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        const failure = errorResponse('json', 500, 'InternalFailure', `rehearsal: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) write(res, failure);
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpointUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /**
   * Authorizes what AWS authorizes on a caller without an SDK call of its own: Step Functions invoking a
   * Lambda, ECS mounting an EFS volume for a task. Recorded like a call.
   */
  async authorizeOnBehalf(
    caller: Caller,
    operation: string,
    requests: readonly AuthorizationRequest[],
    servedBy: string,
    as?: { readonly principal: string; readonly identityPolicies: readonly NamedPolicy[] },
    required = true,
  ): Promise<CallRecord> {
    const authorizations = await this.evaluate(caller, requests, as);
    const record: CallRecord = {
      at: new Date().toISOString(),
      caller,
      operation,
      authorizations,
      allowed: authorizations.every((authorization) => authorization.decision === 'Allowed'),
      modelled: true,
      status: 0,
      servedBy,
      required,
    };
    this.options.log.add(record);
    return record;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const headers = lowerCaseHeaders(req);
    const url = req.url ?? '/';
    const protocol = protocolOf(headers, url);
    const credential = /Credential=([^/]+)\/[^/]+\/([^/]+)\/([^/]+)\//.exec(headers['authorization'] ?? '');
    if (!credential) {
      write(res, errorResponse(protocol, 403, 'MissingAuthenticationToken', 'rehearsal: the request is not signed (AWS SigV4)'));
      return;
    }
    const [, accessKeyId, , signingName] = credential as unknown as [string, string, string, string];
    const caller = this.callers.get(accessKeyId);
    if (!caller) {
      // Not a session the rehearsal handed out (the rehearsal's own admin calls go to moto directly).
      write(res, errorResponse(protocol, 403, 'UnrecognizedClientException', `rehearsal: access key ${accessKeyId} belongs to no rehearsed role session`));
      return;
    }
    const parsed = this.options.models.parse({ method: req.method ?? 'GET', url, headers, body }, signingName);
    const prefix = ServiceModels.iamPrefix(signingName);
    const operation = `${prefix}:${parsed.operation}`;
    const { requests, modelled } = await authorizationsFor(prefix, parsed.operation, parsed.input, this.options.state);
    const authorizations = await this.evaluate(caller, requests);
    const allowed = authorizations.every((authorization) => authorization.decision === 'Allowed');
    const interceptor = this.interceptors.get(operation);
    const record: CallRecord = { at: new Date().toISOString(), caller, operation, authorizations, allowed, modelled, status: 0, servedBy: interceptor ? 'rehearsal' : 'moto', required: true };
    this.options.log.add(record);
    if (!allowed) {
      const denied = authorizations.find((authorization) => authorization.decision !== 'Allowed')!;
      const reason = denied.decision === 'ExplicitlyDenied' ? `an explicit deny in a policy denies ${denied.action}` : `no identity-based policy allows the ${denied.action} action`;
      const response = accessDenied(protocol, signingName, caller.sessionArn, denied.action, denied.resource, reason);
      record.status = response.status;
      record.error = 'AccessDenied';
      write(res, response);
      return;
    }
    const intercepted = interceptor ? await interceptor({ parsed, caller }) : undefined;
    if (intercepted) {
      record.status = intercepted.status;
      write(res, intercepted);
      return;
    }
    let forwarded = await forward(this.options.motoEndpoint, req.method ?? 'GET', url, req.rawHeaders, body);
    const transform = this.transforms.get(operation);
    if (transform && forwarded.status < 300) forwarded = await transform(forwarded, { parsed });
    record.status = forwarded.status;
    if (forwarded.status >= 300) record.error = errorCode(forwarded);
    write(res, forwarded);
  }

  private async evaluate(
    caller: Caller,
    requests: readonly AuthorizationRequest[],
    as?: { readonly principal: string; readonly identityPolicies: readonly NamedPolicy[] },
  ): Promise<AuthorizationRecord[]> {
    const policies = as?.identityPolicies ?? this.options.policiesOf(caller.roleLogicalId);
    const principal = as?.principal ?? caller.sessionArn;
    return Promise.all(requests.map(async (request) => {
      const result = await authorize(principal, this.options.state.account, policies, request);
      return { ...request, decision: result.decision, ...(result.problem ? { problem: result.problem } : {}) };
    }));
  }
}

function forward(endpoint: string, method: string, url: string, rawHeaders: readonly string[], body: Buffer): Promise<WireResponse> {
  const target = new URL(url, endpoint);
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) headers.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(target, { method, headers: Object.fromEntries(headers.filter(([name]) => name.toLowerCase() !== 'connection')) }, (incoming) => {
      void readAll(incoming).then((responseBody) => {
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value !== undefined && !['transfer-encoding', 'connection', 'content-length'].includes(name)) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: incoming.statusCode ?? 502, headers: responseHeaders, body: responseBody });
      }, reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The error code of an emulator's error answer, from its header or body. */
function errorCode(response: WireResponse): string {
  const header = response.headers['x-amzn-errortype'];
  if (header) return header.split(':')[0]!;
  const text = response.body.toString('utf8');
  const xml = /<Code>([^<]+)<\/Code>/.exec(text);
  if (xml) return xml[1]!;
  try {
    const parsed = JSON.parse(text) as { __type?: string; code?: string };
    return (parsed.__type ?? parsed.code ?? `HTTP ${response.status}`).split('#').at(-1)!;
  } catch {
    return `HTTP ${response.status}`;
  }
}

function write(res: ServerResponse, response: WireResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) });
  res.end(response.body);
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
