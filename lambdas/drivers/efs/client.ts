import { EFSClient } from '@aws-sdk/client-efs';

/** EFS's throttling errors; the SDK's standard retry mode backs off and retries them. */
export const THROTTLING_ERRORS: readonly string[] = ['ThrottlingException', 'TooManyRequests'];

/**
 * An EFS client for one region, with the SDK's standard retry mode: throttling, transient and 5xx
 * errors are retried with exponential backoff up to `maxAttempts` attempts in all.
 */
export function createEfsClient(region: string, maxAttempts: number): EFSClient {
  return new EFSClient({ region, maxAttempts, retryMode: 'standard' });
}

/** Whether `err` is the EFS error `name` (the SDK's modelled exceptions carry their error code as name). */
export function isEfsError(err: unknown, ...names: readonly string[]): err is Error & Record<string, unknown> {
  return err instanceof Error && names.includes(err.name);
}

export function isThrottling(err: unknown): boolean {
  return isEfsError(err, ...THROTTLING_ERRORS);
}

/** `Name: message`, for DriverError messages. */
export function describeEfsError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'Error') return err.message;
  return err.message && err.message !== err.name ? `${err.name}: ${err.message}` : err.name;
}
