/**
 * Paths as bytes. Names read from the source are kept as Buffers end to end, so a name that is not
 * valid UTF-8 is copied exactly. Relative paths are '/'-separated and empty for the root.
 */
const SLASH = 0x2f;
const SLASH_BUFFER = Buffer.from('/');
export const TEMP_PREFIX = '.smig-tmp-';

/** This process's tag for temp names: its id and when it started (no random draw: loading crypto costs more than a copy's start-up budget). */
const PROCESS_TAG = `${process.pid.toString(36)}${Date.now().toString(36)}`;
let tempCount = 0;

/** A temp name suffix unique to this process (and, by the tag, among processes). */
export function uniqueSuffix(): string {
  return `${PROCESS_TAG}${(tempCount++).toString(36)}`;
}

export function fromString(path: string): Buffer {
  return Buffer.from(path, 'utf8');
}

/** `rel` under `root`; the root itself when `rel` is empty. */
export function resolveUnder(root: Buffer, rel: Buffer): Buffer {
  return rel.length === 0 ? root : Buffer.concat([root, SLASH_BUFFER, rel]);
}

/** `name` inside the relative folder `rel`. `name` must be a single entry name, never '.' or '..'. */
export function childOf(rel: Buffer, name: Buffer): Buffer {
  assertEntryName(name);
  return rel.length === 0 ? Buffer.from(name) : Buffer.concat([rel, SLASH_BUFFER, name]);
}

export function parentOf(rel: Buffer): Buffer {
  const slash = rel.lastIndexOf(SLASH);
  return slash < 0 ? Buffer.alloc(0) : rel.subarray(0, slash);
}

export function baseName(rel: Buffer): Buffer {
  return rel.subarray(rel.lastIndexOf(SLASH) + 1);
}

export function depthOf(rel: Buffer): number {
  if (rel.length === 0) return 0;
  let depth = 1;
  for (const byte of rel) if (byte === SLASH) depth += 1;
  return depth;
}

/** A lossless string key for maps (one char per byte). */
export function keyOf(rel: Buffer): string {
  return rel.toString('latin1');
}

/** For messages: UTF-8, with invalid bytes replaced; '.' for the root. */
export function display(rel: Buffer): string {
  return rel.length === 0 ? '.' : rel.toString('utf8');
}

export function isTempName(name: Buffer): boolean {
  return name.subarray(0, TEMP_PREFIX.length).toString('latin1') === TEMP_PREFIX;
}

/** True when `inner` is `outer` or lies below it (absolute, resolved paths). */
export function isSameOrInside(inner: Buffer, outer: Buffer): boolean {
  if (inner.equals(outer)) return true;
  const prefix = outer.at(-1) === SLASH ? outer : Buffer.concat([outer, SLASH_BUFFER]);
  return inner.subarray(0, prefix.length).equals(prefix);
}

function assertEntryName(name: Buffer): void {
  const text = name.toString('latin1');
  if (text === '' || text === '.' || text === '..' || name.includes(SLASH) || name.includes(0)) {
    throw new Error(`not a single entry name: ${JSON.stringify(name.toString('utf8'))}`);
  }
}

/** A temp name next to `abs` (same folder, so a rename puts it in place atomically). */
export function tempSibling(abs: Buffer, random: string): Buffer {
  const slash = abs.lastIndexOf(SLASH);
  return Buffer.concat([abs.subarray(0, slash + 1), Buffer.from(`${TEMP_PREFIX}${random}`)]);
}
