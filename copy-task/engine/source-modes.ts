import { keyOf } from './paths.ts';

/**
 * The modes a copy must give source entries whose mode the source does not show: a local share made
 * read-only has had its write bits stripped, and the driver records the originals by path (see
 * lambdas/drivers/local/read-only.ts). Keys are relative paths as keyOf gives them (one char a byte).
 */
export class SourceModes {
  readonly #modes: ReadonlyMap<string, number>;
  #packed: Buffer | undefined;

  constructor(modes: ReadonlyMap<string, number>) {
    this.#modes = modes;
  }

  /** The mode the destination must give `rel`, given the mode lstat showed. */
  readonly modeOf = (rel: Buffer, statMode: number): number => this.#modes.get(keyOf(rel)) ?? statMode;

  /** Every recorded mode, packed for the addon's walk: u32 path length, path, u32 mode; repeated. */
  packed(): Buffer {
    if (this.#packed) return this.#packed;
    // The driver's table (lambdas/drivers/local/mode-table.ts) is held in this layout already: a million
    // modes are not copied a second time.
    if (hasPacked(this.#modes)) return (this.#packed = this.#modes.packed());
    const parts: Buffer[] = [];
    for (const [key, mode] of this.#modes) {
      const path = Buffer.from(key, 'latin1');
      const head = Buffer.alloc(4);
      head.writeUInt32LE(path.length);
      const tail = Buffer.alloc(4);
      tail.writeUInt32LE(mode);
      parts.push(head, path, tail);
    }
    this.#packed = Buffer.concat(parts);
    return this.#packed;
  }
}

function hasPacked(modes: ReadonlyMap<string, number>): modes is ReadonlyMap<string, number> & { packed(): Buffer } {
  return typeof (modes as { packed?: unknown }).packed === 'function';
}
