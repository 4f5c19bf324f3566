import { NotFoundError, ShareMigrationError } from '../core/errors.ts';
import type { ShareType } from '../core/model.ts';
import { quoteValue } from './quote.ts';
import type { ApiRequest } from './request.ts';
import { FIELD_LIMITS } from './request-limits.ts';
import type { ShareViewContext } from './views/shares.ts';

/** Lookups the routes share: a domain not-found turned into what Manila answers, and view inputs. */

/** Everything the share view needs besides the share: types are few, so one list per request. */
export async function shareViewContext(req: ApiRequest): Promise<ShareViewContext> {
  const types = new Map<string, ShareType>((await req.services.shareTypes.list()).map((t) => [t.id, t]));
  return { version: req.version, isAdmin: req.identity.isAdmin, links: req.links, shareType: (id) => types.get(id) };
}

/** The default share type's id, or null when none is configured. */
export async function defaultTypeId(req: ApiRequest): Promise<string | null> {
  try {
    return (await req.services.shareTypes.getDefault()).id;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * Whether a reference from a query or body can name anything: ids and names are at most
 * FIELD_LIMITS.reference characters, and a longer one must not reach the store (it could pass
 * DynamoDB's key size). Path parameters are bounded by the router.
 */
export function isReference(value: string): boolean {
  return value.length > 0 && value.length <= FIELD_LIMITS.reference;
}

/** A share type by id or name, or null when there is none (a reference too long to be one included). */
export async function shareTypeOrNull(req: ApiRequest, ref: string): Promise<ShareType | null> {
  if (!isReference(ref)) return null;
  try {
    return await req.services.shareTypes.get(ref);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** A share type by id or name; the domain's not-found when there is none. */
export async function loadShareType(req: ApiRequest, ref: string): Promise<ShareType> {
  if (!isReference(ref)) throw new NotFoundError(`Share type ${quoteValue(ref)} could not be found.`);
  return req.services.shareTypes.get(ref);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ShareMigrationError && err.kind === 'itemNotFound';
}

/** Rethrows a domain not-found as the given HTTP error (Manila answers 400 for a missing referenced object). */
export async function orIfNotFound<T>(work: Promise<T>, replacement: () => Error): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isNotFound(err)) throw replacement();
    throw err;
  }
}

