/**
 * What an AWS request on the wire is: service, operation and parameters, read with the service models
 * botocore ships (moto depends on botocore, so wherever moto's server runs they are there). The models
 * give every operation's protocol and HTTP binding (method, URI template, which input member is a
 * label, a query parameter or the body), so REST calls (EFS, Scheduler) are recognised as surely as the
 * JSON and query protocols.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The parts of a botocore service model this module reads. */
interface BotocoreModel {
  readonly metadata: {
    readonly protocol: string;
    readonly protocols?: readonly string[];
    readonly targetPrefix?: string;
    readonly signingName?: string;
    readonly endpointPrefix: string;
  };
  readonly operations: Readonly<Record<string, BotocoreOperation>>;
  readonly shapes: Readonly<Record<string, BotocoreShape>>;
}

interface BotocoreOperation {
  readonly name: string;
  readonly http: { readonly method: string; readonly requestUri: string };
  readonly input?: { readonly shape: string };
}

interface BotocoreShape {
  readonly type: string;
  readonly members?: Readonly<Record<string, { readonly shape: string; readonly location?: string; readonly locationName?: string }>>;
}

/** A request recognised: which operation of which service, with its input. */
export interface ParsedRequest {
  /** The signing name of the credential scope: `elasticfilesystem`, `dynamodb`, `states`... */
  readonly signingName: string;
  /** The operation, as in the API reference: `DescribeFileSystems`. */
  readonly operation: string;
  /** The operation's input members, from the body, the URI labels and the query string. */
  readonly input: Readonly<Record<string, unknown>>;
}

/** botocore's folder name of a service, by signing name where they differ. */
const BOTOCORE_NAME: Readonly<Record<string, string>> = {
  elasticfilesystem: 'efs',
  states: 'stepfunctions',
  monitoring: 'cloudwatch',
};

export class ServiceModels {
  private readonly dataDir: string;
  private readonly models = new Map<string, BotocoreModel>();
  private readonly routes = new Map<string, readonly RestRoute[]>();

  constructor(dataDir: string = botocoreDataDir()) {
    this.dataDir = dataDir;
  }

  /** The operation a request on the wire calls; throws if the service or operation is not known. */
  parse(request: { readonly method: string; readonly url: string; readonly headers: Readonly<Record<string, string | undefined>>; readonly body: Buffer }, signingName: string): ParsedRequest {
    const model = this.model(signingName);
    const url = new URL(request.url, 'http://rehearsal');
    const target = request.headers['x-amz-target'];
    const contentType = request.headers['content-type'] ?? '';
    if (target !== undefined) {
      const operation = target.slice(target.lastIndexOf('.') + 1);
      return { signingName, operation, input: parseJson(request.body) };
    }
    const cbor = /^\/service\/[^/]+\/operation\/([^/]+)$/.exec(url.pathname);
    if (cbor) return { signingName, operation: decodeURIComponent(cbor[1]!), input: {} };
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(request.body.toString('utf8'));
      const operation = form.get('Action');
      if (!operation) throw new Error(`${signingName}: a form request without Action`);
      return { signingName, operation, input: Object.fromEntries(form) };
    }
    if (model.metadata.protocol === 'query' || model.metadata.protocol === 'ec2') {
      const operation = url.searchParams.get('Action');
      if (!operation) throw new Error(`${signingName}: a query request without Action`);
      return { signingName, operation, input: Object.fromEntries(url.searchParams) };
    }
    return this.parseRest(model, signingName, request.method, url, request.body);
  }

  /** The IAM service prefix of a signing name (they are the same for every service this project calls). */
  static iamPrefix(signingName: string): string {
    return signingName === 'monitoring' ? 'cloudwatch' : signingName;
  }

  private parseRest(model: BotocoreModel, signingName: string, method: string, url: URL, body: Buffer): ParsedRequest {
    const routes = this.restRoutes(signingName, model);
    const candidates = routes.filter((route) => route.method === method && route.pattern.test(url.pathname));
    // The most specific template first: fewest labels, then the longest literal text.
    candidates.sort((a, b) => a.labels.length - b.labels.length || b.literalLength - a.literalLength);
    const route = candidates.find((candidate) => candidate.queryLiterals.every(([key, value]) => url.searchParams.get(key) === (value ?? url.searchParams.get(key)) && url.searchParams.has(key)));
    if (!route) throw new Error(`${signingName}: no operation matches ${method} ${url.pathname}`);
    const match = route.pattern.exec(url.pathname)!;
    const input: Record<string, unknown> = { ...parseJson(body) };
    route.labels.forEach((label, index) => {
      const member = route.labelMembers.get(label);
      if (member) input[member] = decodeURIComponent(match[index + 1]!);
    });
    for (const [location, member] of route.queryMembers) {
      const values = url.searchParams.getAll(location);
      if (values.length === 1) input[member] = values[0];
      else if (values.length > 1) input[member] = values;
    }
    return { signingName, operation: route.operation, input };
  }

  private restRoutes(signingName: string, model: BotocoreModel): readonly RestRoute[] {
    let routes = this.routes.get(signingName);
    if (!routes) {
      routes = Object.values(model.operations).map((operation) => restRoute(operation, model));
      this.routes.set(signingName, routes);
    }
    return routes;
  }

  private model(signingName: string): BotocoreModel {
    const cached = this.models.get(signingName);
    if (cached) return cached;
    const service = BOTOCORE_NAME[signingName] ?? signingName;
    const serviceDir = path.join(this.dataDir, service);
    if (!existsSync(serviceDir)) throw new Error(`No botocore model for service ${signingName} (${serviceDir})`);
    const version = readdirSync(serviceDir).sort().at(-1)!;
    const folder = path.join(serviceDir, version);
    const file = readdirSync(folder).find((name) => name.startsWith('service-2.json'));
    if (!file) throw new Error(`No service-2.json in ${folder}`);
    const raw = readFileSync(path.join(folder, file));
    const model = JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as BotocoreModel;
    this.models.set(signingName, model);
    return model;
  }
}

interface RestRoute {
  readonly operation: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly labels: readonly string[];
  readonly labelMembers: ReadonlyMap<string, string>;
  readonly queryMembers: ReadonlyMap<string, string>;
  /** Literal query parameters of the URI template (`?tagging`, `?Action=x`). */
  readonly queryLiterals: readonly (readonly [string, string | undefined])[];
  readonly literalLength: number;
}

function restRoute(operation: BotocoreOperation, model: BotocoreModel): RestRoute {
  const [template, query = ''] = operation.http.requestUri.split('?');
  const labels: string[] = [];
  let literalLength = 0;
  const source = template!.split(/(\{[^}]+\})/).map((part) => {
    const label = /^\{([^}+]+)(\+)?\}$/.exec(part);
    if (!label) {
      literalLength += part.length;
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    labels.push(label[1]!);
    return label[2] ? '(.+)' : '([^/]+)';
  }).join('');
  const labelMembers = new Map<string, string>();
  const queryMembers = new Map<string, string>();
  const inputShape = operation.input ? model.shapes[operation.input.shape] : undefined;
  for (const [member, shape] of Object.entries(inputShape?.members ?? {})) {
    if (shape.location === 'uri') labelMembers.set(shape.locationName ?? member, member);
    if (shape.location === 'querystring') queryMembers.set(shape.locationName ?? member, member);
  }
  const queryLiterals = query === '' ? [] : query.split('&').map((pair) => {
    const [key, value] = pair.split('=');
    return [key!, value] as const;
  });
  return { operation: operation.name, method: operation.http.method, pattern: new RegExp(`^${source}/?$`), labels, labelMembers, queryMembers, queryLiterals, literalLength };
}

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** botocore's data folder, from the Python that runs moto. */
export function botocoreDataDir(python = 'python3'): string {
  const dir = execFileSync(python, ['-c', 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))'], { encoding: 'utf8' }).trim();
  if (!existsSync(dir)) throw new Error(`botocore's data folder ${dir} does not exist`);
  return dir;
}
