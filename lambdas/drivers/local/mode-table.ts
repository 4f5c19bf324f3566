/**
 * Original modes by path, held compactly: a read-only share of a million files records a million modes, and
 * the copy task looks each one up during the final pass. A Map of a million strings costs a few hundred
 * bytes an entry; here every entry lives in one growing buffer, in the very layout the copy engine's addon
 * reads (u32 path length, path bytes, u32 mode: `SourceModes.packed`), and an open-addressing hash of
 * offsets finds it: about the path's length plus 16 bytes an entry, and no copy when the addon asks.
 *
 * Keys are as `modeKey` gives them (a path's bytes as a latin1 string), so the table is a drop-in
 * ReadonlyMap for what `readOriginalModes` returned before. The first mode added for a path wins.
 */
const EMPTY = 0;
const HEAD = 4;
const TAIL = 4;
/** Offsets are u32 (slot value offset + 1): past this the table must be split, which no real share needs. */
const MAX_BYTES = 0xffff_fffe;

export class ModeTable implements ReadonlyMap<string, number> {
  #data = Buffer.alloc(4096);
  #used = 0;
  #size = 0;
  /** Slot i holds 1 + the offset of an entry in #data, or EMPTY. Its length is a power of two. */
  #slots = new Uint32Array(1024);

  get size(): number {
    return this.#size;
  }

  /** Adds `path`'s mode unless the path is there already (the first mode recorded wins). True if added. */
  add(path: Buffer, mode: number): boolean {
    const hash = hashBytes(path);
    const mask = this.#slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = this.#slots[slot]!;
      if (at === EMPTY) break;
      if (this.#equalsBytes(at - 1, path)) return false;
    }
    const need = HEAD + path.length + TAIL;
    this.#reserve(need);
    const offset = this.#used;
    this.#data.writeUInt32LE(path.length, offset);
    path.copy(this.#data, offset + HEAD);
    this.#data.writeUInt32LE(mode, offset + HEAD + path.length);
    this.#used += need;
    this.#size += 1;
    if (this.#size * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    else this.#place(hash, offset);
    return true;
  }

  get(key: string): number | undefined {
    const at = this.#find(key);
    return at === undefined ? undefined : this.#modeAt(at);
  }

  has(key: string): boolean {
    return this.#find(key) !== undefined;
  }

  /** Every entry in the addon's packed layout (u32 path length, path, u32 mode; repeated): a view, not a copy. */
  packed(): Buffer {
    return this.#data.subarray(0, this.#used);
  }

  *entries(): MapIterator<[string, number]> {
    for (let at = 0; at < this.#used; at = this.#next(at)) yield [this.#keyAt(at), this.#modeAt(at)];
  }

  *keys(): MapIterator<string> {
    for (let at = 0; at < this.#used; at = this.#next(at)) yield this.#keyAt(at);
  }

  *values(): MapIterator<number> {
    for (let at = 0; at < this.#used; at = this.#next(at)) yield this.#modeAt(at);
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }

  forEach(callback: (value: number, key: string, map: ReadonlyMap<string, number>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  #find(key: string): number | undefined {
    const hash = hashLatin1(key);
    if (hash === undefined) return undefined;
    const mask = this.#slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = this.#slots[slot]!;
      if (at === EMPTY) return undefined;
      if (this.#equalsLatin1(at - 1, key)) return at - 1;
    }
  }

  #equalsBytes(at: number, path: Buffer): boolean {
    const length = this.#data.readUInt32LE(at);
    return length === path.length && this.#data.compare(path, 0, length, at + HEAD, at + HEAD + length) === 0;
  }

  #equalsLatin1(at: number, key: string): boolean {
    const length = this.#data.readUInt32LE(at);
    if (length !== key.length) return false;
    const data = this.#data;
    for (let i = 0, byte = at + HEAD; i < length; i++, byte++) if (data[byte] !== key.charCodeAt(i)) return false;
    return true;
  }

  #keyAt(at: number): string {
    return this.#data.toString('latin1', at + HEAD, at + HEAD + this.#data.readUInt32LE(at));
  }

  #modeAt(at: number): number {
    return this.#data.readUInt32LE(at + HEAD + this.#data.readUInt32LE(at));
  }

  #next(at: number): number {
    return at + HEAD + this.#data.readUInt32LE(at) + TAIL;
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes <= this.#data.length) return;
    if (this.#used + bytes > MAX_BYTES) throw new RangeError(`the original-modes table would exceed ${MAX_BYTES} bytes`);
    const grown = Buffer.alloc(Math.min(MAX_BYTES, Math.max(this.#data.length * 2, this.#used + bytes)));
    this.#data.copy(grown, 0, 0, this.#used);
    this.#data = grown;
  }

  #place(hash: number, offset: number): void {
    const mask = this.#slots.length - 1;
    let slot = hash & mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.#slots[slot] = offset + 1;
  }

  #rehash(slots: number): void {
    this.#slots = new Uint32Array(slots);
    for (let at = 0; at < this.#used; at = this.#next(at)) {
      const length = this.#data.readUInt32LE(at);
      this.#place(hashBytes(this.#data, at + HEAD, at + HEAD + length), at);
    }
  }
}

/** FNV-1a over bytes. */
function hashBytes(bytes: Buffer, start = 0, end = bytes.length): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

/** FNV-1a over a latin1 key's bytes (one char a byte); undefined for a string no path's bytes can give. */
function hashLatin1(key: string): number | undefined {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0xff) return undefined;
    hash = Math.imul(hash ^ code, 0x01000193);
  }
  return hash >>> 0;
}
