import { ShareMigrationError } from '../core/errors.ts';
import type { ShareType } from '../core/model.ts';
import type { ApiRequest } from './request.ts';
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

