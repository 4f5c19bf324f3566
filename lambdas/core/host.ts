import { InvalidRequestError } from './errors.ts';

/** Manila's `host@backend#pool` notation. */
export interface Host {
  readonly host: string;
  readonly backend: string;
  readonly pool: string;
}

const HOST_PATTERN = /^([A-Za-z0-9_.:-]+)@([A-Za-z0-9_.-]+)#([A-Za-z0-9_.-]+)$/;

export function parseHost(value: string): Host {
  const match = HOST_PATTERN.exec(value);
  if (!match) {
    throw new InvalidRequestError(`Invalid host "${value}": expected host@backend#pool`);
  }
  return { host: match[1]!, backend: match[2]!, pool: match[3]! };
}

export function formatHost(host: Host): string {
  return `${host.host}@${host.backend}#${host.pool}`;
}

/** `host@backend`, the service that owns a backend (what Manila calls the share service host). */
export function backendOf(host: Host): string {
  return `${host.host}@${host.backend}`;
}

export function isSameBackend(a: Host, b: Host): boolean {
  return a.host === b.host && a.backend === b.backend;
}
