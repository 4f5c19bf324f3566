/** A local backend's configuration is missing, malformed or contradictory. Raised at start-up, never mid-migration. */
export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
