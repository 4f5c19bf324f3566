import { createRequire } from 'node:module';

/**
 * dynalite 4 reads LevelDB through abstract-level iterators wrapped in Readable streams, and closes an
 * iterator only through `iterator.return()` when its stream is destroyed. abstract-level 3's iterators
 * have `close()` and no `return()`, so every Query and Scan left its iterator open: an open LevelDB
 * iterator pins memory, and the database keeps it among its resources until it closes. That was about
 * 12 KB of heap and more native memory per list request, without bound (the runtime grew past 1 GB
 * under a few thousand list requests). This gives the iterators of the abstract-level that dynalite's
 * `level` and `memory-level` load a `return()` that closes them, as an async iterator's return does.
 */
export function closeIteratorsOnReturn(): void {
  // dynalite's store on disk (level, which is classic-level in node) and in memory (memory-level).
  for (const chain of [['dynalite', 'level', 'classic-level', 'abstract-level'], ['dynalite', 'memory-level', 'abstract-level']]) {
    let from = createRequire(import.meta.url);
    for (const name of chain.slice(0, -1)) from = createRequire(from.resolve(name));
    const abstractLevel = from(chain[chain.length - 1]!) as { readonly AbstractIterator: { readonly prototype: object } };
    // The common base of the entry, key and value iterators.
    const common = Object.getPrototypeOf(abstractLevel.AbstractIterator.prototype) as { return?: unknown; close(): Promise<void> };
    if (typeof common.return === 'function') continue;
    Object.defineProperty(common, 'return', {
      value: function (this: { close(): Promise<void> }) {
        return this.close().then(() => ({ done: true, value: undefined }));
      },
      configurable: true,
      writable: true,
    });
  }
}
