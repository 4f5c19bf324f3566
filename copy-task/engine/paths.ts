import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Paths as bytes. Names read from the source are kept as Buffers end to end, so a name that is not
 * valid UTF-8 is copied exactly. Relative paths are '/'-separated and empty for the root.
 */
const SLASH = 0x2f;
const SLASH_BUFFER = Buffer.from('/');
export const TEMP_PREFIX = '.smig-tmp-';

/**
 * This process's token: 16 hex digits from the kernel's random source (read from /dev/urandom: loading
 * crypto costs more than a copy's start-up budget). Every name the engine makes up in the destination
 * is `.smig-tmp-<token>` and more (`j` and a count from here, `n` and a count from the addon, `d` and a
 * folder's hash for a hidden folder); the write-back journal records it before the run writes anything
 * (durability.ts). So a later run knows the leftovers of this one by the token, not by the prefix,
 * which a user's file may have as well.
 */
export const RUN_TOKEN = drawToken();
let tempCount = 0;

function drawToken(): string {
  const bytes = Buffer.alloc(8);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      readSync(fd, bytes, 0, bytes.length, null);
    } finally {
      closeSync(fd);
    }
  } catch {
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  }
  return bytes.toString('hex');
}

/** A temp name suffix unique to this process, marked with its token. */
export function uniqueSuffix(): string {
  return `${RUN_TOKEN}j${(tempCount++).toString(36)}`;
}

/**
 * Tells a name earlier runs made up (a temp file, a hidden folder) from any other: it starts with
 * `.smig-tmp-` and one of `tokens` (the journal's record of runs that did not finish). The empty token
 * stands for runs of versions that put no token in their names: then any `.smig-tmp-` name is theirs.
 * Only for entries the source does not have: a source entry of any name is the share's.
 */
export function staleTempMatcher(tokens: Iterable<string>): (name: Buffer) => boolean {
  const prefixes = [...tokens].map((token) => Buffer.from(`${TEMP_PREFIX}${token}`));
  if (prefixes.length === 0) return () => false;
  return (name) => prefixes.some((prefix) => name.length >= prefix.length && name.subarray(0, prefix.length).equals(prefix));
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
