import { ShareMigrationError, type FaultKind } from '../core/errors.ts';
import { HttpError, defaultMessage } from './http-error.ts';
import { truncate } from './quote.ts';

/**
 * The longest message a fault carries: messages quote request values (bounded by quoteValue where the
 * API builds them), and this bounds the ones built elsewhere (a domain error quoting an id).
 */
export const MAX_FAULT_MESSAGE = 1024;

/**
 * Manila's fault bodies (manila/api/openstack/wsgi.py Fault): `{"<name>": {"code": N, "message": "..."}}`,
 * the name chosen by status; statuses without a name (406, 422, 500) are "computeFault", as in Manila.
 */
const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

const STATUS_BY_KIND: Readonly<Record<FaultKind, number>> = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  itemNotFound: 404,
  conflict: 409,
  overLimit: 413,
  serviceUnavailable: 503,
};

export interface Fault {
  readonly status: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
  /** False when the original error was hidden behind a generic 500. */
  readonly exposed: boolean;
}

export function faultBody(status: number, message: string): Record<string, { code: number; message: string }> {
  return { [FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } };
}

/** What the client sees for an error: domain errors by `kind`, exposed HTTP errors as they are, anything else a plain 500. */
export function toFault(err: unknown): Fault {
  if (err instanceof ShareMigrationError) {
    const status = STATUS_BY_KIND[err.kind];
    if (status !== undefined) return { status, message: truncate(err.message, MAX_FAULT_MESSAGE), headers: {}, exposed: true };
  }
  if (err instanceof HttpError && err.expose) {
    return { status: err.status, message: truncate(err.message, MAX_FAULT_MESSAGE), headers: err.headers, exposed: true };
  }
  return { status: 500, message: defaultMessage(500), headers: {}, exposed: false };
}
