/**
 * The benchmark's source trees, built once under the bench folder and reused while their marker
 * file says they were built with the same shape. Content is random (not compressible, not
 * deduplicable); sizes come from a seeded generator, so every build of a shape is the same shape.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { nativeStatus } from '../native/index.ts';

export interface SmallTreeShape {
  readonly files: number;
  readonly folders: number;
  readonly minBytes: number;
  readonly maxBytes: number;
}

export interface LargeTreeShape {
  readonly files: number;
  readonly bytes: number;
}

/** Same seed, same sequence: sizes and names do not change between builds. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds `root` unless its marker says it already holds this shape. */
function buildOnce(root: string, shape: object, build: () => void): boolean {
  const marker = `${root}.shape.json`;
  const wanted = JSON.stringify(shape);
  if (existsSync(root) && existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return false;
  rmSync(root, { recursive: true, force: true });
  rmSync(marker, { force: true });
  build();
  writeFileSync(marker, wanted);
  return true;
}

/** Small files of random sizes in two levels of folders (√folders top folders, the rest below). */
export function buildSmallTree(root: string, shape: SmallTreeShape, seed = 1): boolean {
  return buildOnce(root, shape, () => {
    const random = seeded(seed);
    const pool = randomFillSync(Buffer.allocUnsafe(16 * 1024 * 1024));
    const top = Math.max(1, Math.round(Math.sqrt(shape.folders)));
    const below = Math.max(1, Math.round(shape.folders / top));
    const leaves: string[] = [];
    for (let t = 0; t < top; t++) {
      for (let b = 0; b < below; b++) {
        const dir = join(root, `d${t}`, `s${b}`);
        mkdirSync(dir, { recursive: true });
        leaves.push(dir);
      }
    }
    for (let i = 0; i < shape.files; i++) {
      const size = shape.minBytes + Math.floor(random() * (shape.maxBytes - shape.minBytes + 1));
      const offset = Math.floor(random() * (pool.length - size));
      writeFileSync(join(leaves[i % leaves.length] as string, `f${i}.dat`), pool.subarray(offset, offset + size));
    }
  });
}

/** A few large files of random data. */
export function buildLargeTree(root: string, shape: LargeTreeShape): boolean {
  return buildOnce(root, shape, () => {
    mkdirSync(root, { recursive: true });
    const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
    for (let i = 0; i < shape.files; i++) {
      const fd = openSync(join(root, `large${i}.bin`), 'w');
      try {
        for (let left = shape.bytes; left > 0; left -= chunk.length) {
          randomFillSync(chunk);
          writeSync(fd, chunk, 0, Math.min(chunk.length, left));
        }
      } finally {
        closeSync(fd);
      }
    }
  });
}

/** Many empty files (the memory measurement: what grows with the tree, not with the data). */
export function buildEmptyFilesTree(root: string, files: number, perFolder = 100): boolean {
  return buildOnce(root, { files, perFolder }, () => {
    for (let i = 0; i < files; i++) {
      const dir = join(root, `d${Math.floor(i / perFolder / 100)}`, `s${Math.floor(i / perFolder)}`);
      if (i % perFolder === 0) mkdirSync(dir, { recursive: true });
      closeSync(openSync(join(dir, `e${i}`), 'w'));
    }
  });
}

/**
 * What a real share holds besides plain files: symbolic links (relative, absolute, dangling), hard
 * links (groups of three names across folders), user.* extended attributes, POSIX ACLs (setfacl,
 * when installed), sparse files and FIFOs, among small files.
 */
export function buildMixedTree(root: string, files: number, seed = 7): boolean {
  return buildOnce(root, { files, kind: 'mixed' }, () => {
    const random = seeded(seed);
    const pool = randomFillSync(Buffer.allocUnsafe(4 * 1024 * 1024));
    const native = nativeStatus.loaded ? nativeStatus.fs : undefined;
    const folders = Math.max(4, Math.round(files / 50));
    for (let d = 0; d < folders; d++) mkdirSync(join(root, `m${d}`), { recursive: true });
    const aclTargets: string[] = [];
    for (let i = 0; i < files; i++) {
      const dir = join(root, `m${i % folders}`);
      const path = join(dir, `f${i}`);
      const size = Math.floor(random() * 32 * 1024);
      const offset = Math.floor(random() * (pool.length - size));
      writeFileSync(path, pool.subarray(offset, offset + size));
      if (i % 4 === 0 && native) native.setXattr(Buffer.from(path), Buffer.from('user.bench'), Buffer.from(`value ${i}`));
      if (i % 20 === 0) aclTargets.push(path);
      if (i % 10 === 1) symlinkSync(`f${i - 1}`, join(dir, `rel${i}`));
      if (i % 10 === 2) symlinkSync(join(root, `m0`, 'f0'), join(dir, `abs${i}`));
      if (i % 50 === 3) symlinkSync(`missing${i}`, join(dir, `dangling${i}`));
      if (i % 10 === 4) {
        linkSync(path, join(dir, `h${i}-b`));
        linkSync(path, join(root, `m${(i + 1) % folders}`, `h${i}-c`));
      }
      if (i % 200 === 5) {
        const fd = openSync(join(dir, `sparse${i}`), 'w');
        writeSync(fd, pool.subarray(0, 4096), 0, 4096, 8 * 1024 * 1024);
        ftruncateSync(fd, 16 * 1024 * 1024);
        closeSync(fd);
      }
      if (i % 500 === 6) spawnSync('mkfifo', [join(dir, `fifo${i}`)]);
    }
    if (aclTargets.length > 0) spawnSync('setfacl', ['-m', 'u:nobody:r', ...aclTargets], { stdio: 'ignore' });
  });
}
