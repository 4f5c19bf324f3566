import { countInMemory, pageInMemory } from '../../lambdas/core/shares/share-list.ts';
import type { Share } from '../../lambdas/core/model.ts';
import type { ShareListing } from '../../lambdas/core/ports.ts';

/** The share lists of an in-memory share store: the list's definition (pageInMemory) over the shares in hand. */
export function inMemoryShareListing(shares: () => Iterable<Share>): ShareListing {
  return {
    listPage: async (query, after) => pageInMemory([...shares()], query, after),
    countList: async (query) => countInMemory([...shares()], query),
    listWithSnapshots: async () => [...shares()].filter((s) => (s.snapshots?.length ?? 0) > 0),
    listByStatus: async (status) => [...shares()].filter((s) => s.status === status),
  };
}
