/**
 * The identity module's errors. A caller's bad credentials are the domain's UnauthorizedError (core/errors.ts);
 * these are the operator's and the request's faults, answered in Keystone's error shape by local/identity.
 */

/** The identity configuration (`<data>/identity.json`) is not what IdentityConfig describes: the operator's fault. */
export class IdentityConfigError extends Error {
  override readonly name = 'IdentityConfigError';
}

/** An authentication request Keystone would answer 400 (malformed JSON, missing fields, unsupported method). */
export class IdentityRequestError extends Error {
  override readonly name = 'IdentityRequestError';
}

/** A token to validate or revoke that is not (or no longer) valid: Keystone answers 404 "Could not find token". */
export class TokenNotFoundError extends Error {
  override readonly name = 'TokenNotFoundError';
}
