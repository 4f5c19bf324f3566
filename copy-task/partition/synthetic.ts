/**
 * A synthetic listing: a tree that exists only as the entries it yields, in the partition order, so
 * the cut chooser can be measured (and tested) on 10 M entries without making them on a disk.
 * Deterministic: the same options give the same entries.
 *
 * Its shape, skewed as shares are: groups of small folders ('g-000000/d-000000/f-000000'), then one
 * huge folder ('huge/f-0000000', `hugeShare` of the entries), then more groups ('p-...'). File sizes are
 * log-uniform from 0 to `maxFileBytes`, so most files are small and a few hold most of the bytes.
 */
import type { SurveyedEntry } from './types.ts';

export interface SyntheticOptions {
  /** Entries in all (folders and files, the root not counted). */
  readonly entries: number;
  /** @default 1 */
  readonly seed?: number;
  /** Share of the entries in the one huge folder. @default 0.3 */
  readonly hugeShare?: number;
  /** Files in each small folder. @default 100 */
  readonly filesPerFolder?: number;
  /** Small folders in each group. @default 100 */
  readonly foldersPerGroup?: number;
  /** @default 16 MiB */
  readonly maxFileBytes?: number;
}

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

export function* syntheticListing(options: SyntheticOptions): Generator<SurveyedEntry> {
  const random = seededRandom(options.seed ?? 1);
  const logMax = Math.log((options.maxFileBytes ?? 16 * 1024 ** 2) + 1);
  const fileBytes = () => Math.floor(Math.exp(random() * logMax)) - 1;
  const filesPerFolder = options.filesPerFolder ?? 100;
  const foldersPerGroup = options.foldersPerGroup ?? 100;
  const huge = Math.floor(options.entries * (options.hugeShare ?? 0.3));
  const groups = options.entries - huge;
  let left = options.entries;
  const entry = (path: string, bytes: number): SurveyedEntry => {
    left -= 1;
    return { path: Buffer.from(path), bytes };
  };
  function* groupsOf(prefix: string, budget: number): Generator<SurveyedEntry> {
    const stopAt = left - budget;
    for (let group = 0; left > stopAt; group += 1) {
      const groupPath = `${prefix}-${pad(group, 6)}`;
      yield entry(groupPath, 0);
      for (let folder = 0; folder < foldersPerGroup && left > stopAt; folder += 1) {
        const folderPath = `${groupPath}/d-${pad(folder, 6)}`;
        yield entry(folderPath, 0);
        for (let file = 0; file < filesPerFolder && left > stopAt; file += 1) yield entry(`${folderPath}/f-${pad(file, 6)}`, fileBytes());
      }
    }
  }
  yield* groupsOf('g', Math.floor(groups / 2));
  if (huge > 0) {
    yield entry('huge', 0);
    for (let file = 0; file < huge - 1 && left > 0; file += 1) yield entry(`huge/f-${pad(file, 9)}`, fileBytes());
  }
  yield* groupsOf('p', left);
}
