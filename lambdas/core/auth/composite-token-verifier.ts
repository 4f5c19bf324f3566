import { UnauthorizedError } from '../errors.ts';
import type { TokenVerifier } from '../services.ts';

/**
 * Several token kinds on one API (the admin token, Keystone tokens): a token is valid when one verifier
 * takes it. A verifier's UnauthorizedError means "not mine", so the next is asked; any other error is a
 * fault of that verifier and is thrown at once, never hidden behind a 401.
 */
export class CompositeTokenVerifier implements TokenVerifier {
  private readonly verifiers: readonly TokenVerifier[];

  constructor(verifiers: readonly TokenVerifier[]) {
    if (verifiers.length === 0) throw new Error('CompositeTokenVerifier needs at least one verifier');
    this.verifiers = verifiers;
  }

  async verify(token: string | undefined) {
    if (!token) throw new UnauthorizedError('X-Auth-Token is required.');
    let refused: UnauthorizedError | undefined;
    for (const verifier of this.verifiers) {
      try {
        return await verifier.verify(token);
      } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
        refused ??= error;
      }
    }
    throw new UnauthorizedError('The X-Auth-Token is not valid.', {}, { cause: refused });
  }
}
