import { appendFile, link, mkdir, open, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import type { NativeFs } from '../../../copy-task/native/index.ts';
import { bytesPath } from '../fidelity/every-case-tree.ts';

/**
 * Random source trees for the copy engine's fuzz test (random-trees.test.ts), from a seed: the same
 * seed builds the same tree. Names of any bytes a Linux name may hold (up to 255), deep folders, and
 * every kind of entry the engine copies: files of random sizes (empty, small, large, sparse), symbolic
 * links, hard links, FIFOs, sockets, extended attributes.
 */

/** mulberry32: small, fast, and the same everywhere, so a seed replays. */
export function randomSource(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  return { next, int, pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)] as T, chance: (p: number) => next() < p };
}

export interface Random {
  next(): number;
  /** An integer in [low, high]. */
  int(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;

/** A name: printable, any byte but NUL and '/', or long (to 255 bytes); never '.' or '..', unique in its folder. */
function randomName(random: Random, taken: Set<string>): Buffer {
  for (;;) {
    const style = random.int(0, 9);
    const length = style === 0 ? random.int(200, 255) : random.int(1, 24);
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      let byte = style <= 3 ? random.int(1, 255) : random.pick([...Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789-_. ')]);
      if (byte === 0x2f) byte = 0x5f;
      bytes[i] = byte;
    }
    const key = bytes.toString('latin1');
    if (key === '.' || key === '..' || key.startsWith('.smig-') || taken.has(key)) continue;
    taken.add(key);
    return bytes;
  }
}

/** Random bytes from the generator (not crypto: the seed must replay the content too). */
function randomBytesOf(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length + 4);
  for (let i = 0; i < length; i += 4) bytes.writeUInt32LE(Math.floor(random.next() * 4294967296), i);
  return bytes.subarray(0, length);
}

export interface BuiltTree {
  /** Every folder below the root (as bytes), for the mutator to work in. */
  readonly dirs: Buffer[];
  readonly files: Buffer[];
  readonly entries: number;
}

/** Builds a random tree at `root` (which must not exist), of about `size` entries. */
export async function buildRandomTree(native: NativeFs, root: string, random: Random, size: number): Promise<BuiltTree> {
  await mkdir(root);
  const dirs: Buffer[] = [Buffer.from(root)];
  const files: Buffer[] = [];
  const names = new Map<string, Set<string>>();
  const taken = (dir: Buffer) => {
    const key = dir.toString('latin1');
    if (!names.has(key)) names.set(key, new Set());
    return names.get(key) as Set<string>;
  };
  let entries = 0;
  while (entries < size) {
    // Deeper folders more often than not, but never near PATH_MAX (paths past it are another test's: deep-paths).
    const parent = random.chance(0.6) ? (dirs[dirs.length - 1] as Buffer) : random.pick(dirs);
    if (parent.length > 2500) continue;
    const at = bytesPath(parent, randomName(random, taken(parent)));
    const kind = random.int(0, 19);
    if (kind <= 4) {
      await mkdir(at);
      dirs.push(at);
    } else if (kind <= 11) {
      await writeRandomFile(at, random);
      files.push(at);
    } else if (kind <= 13) {
      await symlink(random.chance(0.5) ? randomName(random, new Set()) : Buffer.from('../'.repeat(random.int(0, 3)) + 'x'), at);
    } else if (kind <= 15 && files.length > 0) {
      await link(random.pick(files), at);
    } else if (kind === 16) {
      native.mknod(at, S_IFIFO | 0o640, 0n);
    } else if (kind === 17) {
      native.mknod(at, S_IFSOCK | 0o755, 0n);
    } else {
      await writeFile(at, '');
      files.push(at);
    }
    if (random.chance(0.2) && kind <= 11) {
      native.setXattr(at, Buffer.from(`user.fuzz${random.int(0, 3)}`), randomBytesOf(random, random.int(0, 300)));
    }
    entries++;
  }
  return { dirs: dirs.slice(1), files, entries };
}

async function writeRandomFile(at: Buffer, random: Random): Promise<void> {
  const shape = random.int(0, 9);
  if (shape === 0) return writeFile(at, '');
  if (shape <= 6) return writeFile(at, randomBytesOf(random, random.int(1, 64 * 1024)));
  if (shape <= 8) return writeFile(at, randomBytesOf(random, random.int(256 * 1024, 3 * 1024 * 1024)));
  // Sparse: a few data extents in a file of up to 8 MiB, ending in a hole or in data.
  const file = await open(at, 'w');
  const length = random.int(1, 8) * 1024 * 1024;
  for (let i = random.int(0, 3); i > 0; i--) {
    const data = randomBytesOf(random, random.int(1, 70_000));
    await file.write(data, 0, data.length, random.int(0, length - data.length));
  }
  await file.truncate(length);
  await file.close();
}

/**
 * Changes the tree while a pass copies it, as users of a writable share do: renames, deletes, folders
 * replaced with links (and files with folders), appends, new files. Each step may fail where an earlier
 * one moved the ground (ENOENT and the like): those are part of the noise, not errors of the test.
 */
export async function mutate(tree: BuiltTree, random: Random, stop: () => boolean): Promise<number> {
  let steps = 0;
  const alive = (paths: Buffer[]) => paths.length > 0;
  // Bounded, so that a pass always ends: a file appended to faster than it is read would be chased forever.
  const most = random.int(10, 150);
  while (!stop() && steps < most) {
    const step = random.int(0, 6);
    const dir = alive(tree.dirs) ? random.pick(tree.dirs) : undefined;
    const file = alive(tree.files) ? random.pick(tree.files) : undefined;
    try {
      if (step === 0 && file) await appendFile(file, randomBytesOf(random, random.int(1, 64 * 1024)));
      else if (step === 1 && file) await rm(file, { force: true });
      else if (step === 2 && dir) {
        await rm(dir, { recursive: true, force: true });
        await symlink('/etc', dir);
      } else if (step === 3 && file) await rename(file, bytesPath(file, '..', `renamed-${steps}`).toString('latin1') === '' ? file : Buffer.concat([file, Buffer.from(`.r${steps}`)]));
      else if (step === 4 && dir) await writeFile(bytesPath(dir, `new-${steps}`), randomBytesOf(random, random.int(0, 100_000)));
      else if (step === 5 && file) {
        await rm(file, { force: true });
        await mkdir(file);
        await writeFile(bytesPath(file, 'inside'), 'now a folder');
      } else if (step === 6 && dir) {
        const entries = await readdir(dir, { encoding: 'buffer' });
        if (entries.length > 0) await rename(bytesPath(dir, random.pick(entries)), bytesPath(dir, `moved-${steps}`));
      }
    } catch {
      // The ground moved under this step: an earlier one removed or replaced what it worked on.
    }
    steps++;
    await new Promise((resolve) => setTimeout(resolve, random.int(0, 5)));
  }
  return steps;
}
