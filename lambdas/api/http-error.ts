import type { ApiVersion } from './api-version.ts';

/**
 * An HTTP error the API means to show (middy's `createError` shape: `status` and `expose`). Anything
 * thrown that is neither this nor a domain error becomes a generic 500 (see faults.ts).
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  /** Whether the message may reach the client; 5xx never does. */
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** Set on the 406 of version negotiation: Manila echoes the refused version. */
  readonly requestedVersion: ApiVersion | undefined;

  constructor(
    status: number,
    message?: string,
    options: { headers?: Record<string, string>; requestedVersion?: ApiVersion; cause?: unknown } = {},
  ) {
    super(message ?? defaultMessage(status), { cause: options.cause });
    this.status = status;
    this.expose = status < 500;
    this.headers = options.headers ?? {};
    this.requestedVersion = options.requestedVersion;
  }
}

/** webob's default explanations, which Manila's faults carry when a controller gives none. */
const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  401: 'The request you have made requires authentication.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  405: 'The method is not allowed for this resource.',
  409: 'There was a conflict when trying to complete your request.',
  413: 'Request is too large.',
  422: 'Unable to process the contained instructions',
  500: 'The server has either erred or is incapable of performing the requested operation.',
};

export function defaultMessage(status: number): string {
  return DEFAULT_MESSAGES[status] ?? DEFAULT_MESSAGES[status < 500 ? 400 : 500]!;
}

export const badRequest = (message?: string): HttpError => new HttpError(400, message);
export const notFound = (message?: string): HttpError => new HttpError(404, message);
export const forbidden = (message?: string): HttpError => new HttpError(403, message);
