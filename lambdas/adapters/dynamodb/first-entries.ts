import { compareForList, type ShareListEntry, type ShareListQuery } from '../../core/shares/share-list.ts';

/**
 * The first `keep` list entries in a list's order, kept while entries stream past in any order: memory
 * for `keep` entries whatever the number read, so an order no index serves costs the reading of the
 * scope, not the holding of it. An entry seen twice (from two partitions) is kept once.
 */
export class FirstEntries {
  private readonly sort: ShareListQuery['sort'];
  private readonly keep: number;
  /** Ascending in the list's order. */
  private readonly entries: ShareListEntry[] = [];
  private readonly ids = new Set<string>();

  constructor(sort: ShareListQuery['sort'], keep: number) {
    this.sort = sort;
    this.keep = keep;
  }

  offer(entry: ShareListEntry): void {
    if (this.keep === 0 || this.ids.has(entry.id)) return;
    const full = this.entries.length === this.keep;
    if (full && compareForList(entry, this.entries[this.entries.length - 1]!, this.sort) >= 0) return;
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareForList(this.entries[middle]!, entry, this.sort) < 0) low = middle + 1;
      else high = middle;
    }
    this.entries.splice(low, 0, entry);
    this.ids.add(entry.id);
    if (full) this.ids.delete(this.entries.pop()!.id);
  }

  /** The entries kept, in the list's order. */
  inOrder(): readonly ShareListEntry[] {
    return this.entries;
  }
}
