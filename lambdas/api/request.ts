import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { DomainServices } from '../core/services.ts';
import type { ApiVersion } from './api-version.ts';

export interface Identity {
  readonly projectId: string;
  readonly userId: string;
  readonly isAdmin: boolean;
  /** Keystone's role names on the project, implied roles included. @default - none (the admin token, the AWS authorizer) */
  readonly roles?: readonly string[];
  /** Neither admin nor member: Manila's default policies let it read its project and change nothing. @default false */
  readonly isReader?: boolean;
}

/** Query string parameters, single and repeated. */
export class Query {
  private readonly values: ReadonlyMap<string, readonly string[]>;

  constructor(event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>) {
    const values = new Map<string, string[]>();
    for (const [key, list] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
      if (list) values.set(key, [...list]);
    }
    for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
      if (value !== undefined && !values.has(key)) values.set(key, [value]);
    }
    this.values = values;
  }

  /** The last value, as API Gateway's single-value map holds. */
  get(name: string): string | undefined {
    const list = this.values.get(name);
    return list === undefined ? undefined : list[list.length - 1];
  }

  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The parameter names, in the order given. */
  names(): string[] {
    return [...this.values.keys()];
  }
}

/** Manila's resource links: `self` under /v2/{project_id}, `bookmark` without the version. */
export class Links {
  readonly baseUrl: string;
  private readonly projectId: string;

  constructor(baseUrl: string, projectId: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.projectId = projectId;
  }

  forResource(collection: string, id: string): { href: string; rel: string }[] {
    return [
      { href: `${this.baseUrl}/v2/${this.projectId}/${collection}/${id}`, rel: 'self' },
      { href: `${this.baseUrl}/${this.projectId}/${collection}/${id}`, rel: 'bookmark' },
    ];
  }
}

/** What a route handler gets: the request as Manila's controllers see it. */
export interface ApiRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
  readonly version: ApiVersion;
  readonly experimental: boolean;
  readonly identity: Identity;
  readonly services: DomainServices;
  readonly links: Links;
  readonly logger: Logger;
}

export interface ApiResponse {
  readonly statusCode: number;
  /** Serialized as JSON; absent for Manila's empty 202s. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export const json = (statusCode: number, body: unknown): ApiResponse => ({ statusCode, body });
export const accepted = (): ApiResponse => ({ statusCode: 202 });

/** Case-insensitive header lookup (API Gateway keeps the client's spelling, Node lowercases). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
