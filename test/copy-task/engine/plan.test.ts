import { describe, expect, it } from 'vitest';
import { staleTempMatcher } from '../../../copy-task/engine/paths.ts';
import { planCopy } from '../../../copy-task/engine/plan.ts';
import type { TreeEntry } from '../../../copy-task/engine/types.ts';

const T = 1_700_000_000_000_000_000n;

function entry(rel: string, kind: TreeEntry['kind'], extra: Partial<TreeEntry> = {}): TreeEntry {
  return {
    rel: Buffer.from(rel), kind, typeName: kind === 'unsupported' ? 'door' : kind,
    size: 0, mode: kind === 'dir' ? 0o755 : 0o644, uid: 1000, gid: 1000, atimeNs: T, mtimeNs: T, ...extra,
  };
}

const paths = (entries: readonly TreeEntry[]) => entries.map((e) => e.rel.toString());
const root = entry('', 'dir');

describe('Function: planCopy', () => {
  it('plans everything for an empty destination: folders by depth, files, links; metadata deepest first', () => {
    // Prepare
    const source = [root, entry('a', 'dir'), entry('a/b', 'dir'), entry('a/b/f', 'file', { size: 10 }), entry('g', 'file', { size: 5 }), entry('l', 'symlink', { target: Buffer.from('g') })];

    // Act
    const plan = planCopy(source, [root], { mode: 'mirror', compareOwner: true });

    // Assess
    expect(plan.createDirs.map(paths)).toEqual([['a'], ['a/b']]);
    expect(paths(plan.copyFiles)).toEqual(['a/b/f', 'g']);
    expect(plan.bytesToCopy).toBe(15);
    expect(paths(plan.links)).toEqual(['l']);
    expect(plan.finishDirs.map(paths)).toEqual([['a/b'], ['a'], ['']]);
    expect(plan.extras).toEqual([]);
  });

  it('leaves files with the same size and mtime (to the microsecond) alone', () => {
    // Prepare
    const source = [root, entry('same', 'file', { size: 3 }), entry('newer', 'file', { size: 3, mtimeNs: T + 1_000n }), entry('bigger', 'file', { size: 4 })];
    const destination = [root, entry('same', 'file', { size: 3, mtimeNs: T + 999n }), entry('newer', 'file', { size: 3 }), entry('bigger', 'file', { size: 3 })];

    // Act
    const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true });

    // Assess
    expect(paths(plan.copyFiles)).toEqual(['newer', 'bigger']);
    expect(plan.unchangedFiles).toBe(1);
  });

  it('fixes mode, and owner only when owners can be set', () => {
    // Prepare
    const source = [root, entry('mode', 'file', { mode: 0o600 }), entry('owner', 'file', { uid: 0 })];
    const destination = [root, entry('mode', 'file'), entry('owner', 'file')];

    // Act
    const asRoot = planCopy(source, destination, { mode: 'mirror', compareOwner: true });
    const asUser = planCopy(source, destination, { mode: 'mirror', compareOwner: false });

    // Assess
    expect(paths(asRoot.fixFiles)).toEqual(['mode', 'owner']);
    expect(paths(asUser.fixFiles)).toEqual(['mode']);
  });

  it('replaces entries of another type and lists only the topmost extra of a subtree', () => {
    // Prepare
    const source = [root, entry('x', 'file'), entry('y', 'dir')];
    const destination = [root, entry('old', 'dir'), entry('old/deep', 'dir'), entry('old/deep/f', 'file'), entry('x', 'dir'), entry('x/inner', 'file'), entry('y', 'symlink', { target: Buffer.from('/etc') })];

    // Act
    const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true });

    // Assess
    expect(paths(plan.replace)).toEqual(['x', 'y']);
    expect(paths(plan.extras)).toEqual(['old']);
    expect(paths(plan.copyFiles)).toEqual(['x']);
    expect(plan.createDirs.map(paths)).toEqual([['y']]);
  });

  it('keeps extras in merge mode but still clears leftover temp files of an earlier run, telling them by its token', () => {
    // Prepare
    const destination = [root, entry('extra', 'file'), entry('.smig-tmp-0123456789abcdefj1', 'file'), entry('.smig-tmp-abcdef012345', 'file')];
    const isStaleTemp = staleTempMatcher(['0123456789abcdef']);

    // Act
    const plan = planCopy([root], destination, { mode: 'merge', compareOwner: true, isStaleTemp });

    // Assess
    expect(plan.extras).toEqual([]);
    expect(paths(plan.staleTemps)).toEqual(['.smig-tmp-0123456789abcdefj1']);
  });

  it('copies a source entry named like a leftover of an earlier run, as the share\'s own', () => {
    // Prepare
    const source = [root, entry('.smig-tmp-0123456789abcdefj1', 'file', { size: 3 })];
    const isStaleTemp = staleTempMatcher(['0123456789abcdef']);

    // Act
    const plan = planCopy(source, [root], { mode: 'mirror', compareOwner: true, isStaleTemp });

    // Assess
    expect(paths(plan.copyFiles)).toEqual(['.smig-tmp-0123456789abcdefj1']);
    expect(plan.staleTemps).toEqual([]);
  });

  it('recreates a link whose target or mtime differs, and lists what cannot be copied', () => {
    // Prepare
    const source = [root, entry('same', 'symlink', { target: Buffer.from('t') }), entry('moved', 'symlink', { target: Buffer.from('new') }), entry('door', 'unsupported')];
    const destination = [root, entry('same', 'symlink', { target: Buffer.from('t') }), entry('moved', 'symlink', { target: Buffer.from('old') })];

    // Act
    const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true });

    // Assess
    expect(paths(plan.links)).toEqual(['moved']);
    expect(plan.unsupported).toEqual([{ path: 'door', reason: 'unsupported file type: door' }]);
  });

  it('lists existing destination folders their owner cannot write into', () => {
    // Prepare
    const source = [root, entry('ro', 'dir', { mode: 0o555 })];
    const destination = [root, entry('ro', 'dir', { mode: 0o555 })];

    // Act
    const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: false });

    // Assess
    expect(paths(plan.lockedDirs)).toEqual(['ro']);
  });

  describe('files with several names (hard links)', () => {
    const file = (rel: string, linkKey?: string, extra: Partial<TreeEntry> = {}) => entry(rel, 'file', { size: 4, ...(linkKey ? { linkKey } : {}), ...extra });

    it('copies the first name of a file and links the others to it', () => {
      // Prepare
      const source = [root, file('a', 's:1'), file('b', 's:1'), file('c/d', 's:1'), file('single')];

      // Act
      const plan = planCopy(source, [root], { mode: 'mirror', compareOwner: true });

      // Assess
      expect(paths(plan.copyFiles)).toEqual(['a', 'single']);
      expect(plan.hardLinks.map((l) => [l.entry.rel.toString(), l.leader.rel.toString(), l.linked])).toEqual([['b', 'a', false], ['c/d', 'a', false]]);
    });

    it('leaves names already linked alone, and links the name that is not', () => {
      // Prepare
      const source = [root, file('a', 's:1'), file('b', 's:1'), file('c', 's:1')];
      const destination = [root, file('a', 'd:9'), file('b', 'd:9'), file('c')];

      // Act
      const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true });

      // Assess
      expect(plan.copyFiles).toEqual([]);
      expect(plan.hardLinks.map((l) => [l.entry.rel.toString(), l.linked])).toEqual([['b', true], ['c', false]]);
      expect(plan.unchangedFiles).toBe(2);
    });

    it('splits a destination file shared by names that are separate files on the source', () => {
      // Prepare: on the destination a and b are one file; on the source they no longer are
      const source = [root, file('a'), file('b')];
      const destination = [root, file('a', 'd:9'), file('b', 'd:9')];

      // Act
      const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true });

      // Assess
      expect(paths(plan.copyFiles)).toEqual(['a', 'b']);
    });

    it('keeps a shared destination file whose other name is about to be deleted anyway, or is a temp file', () => {
      // Prepare
      const source = [root, file('a')];
      const destination = [root, file('a', 'd:9'), file('gone', 'd:9'), file('.smig-tmp-0123456789abcdefj1', 'd:9')];

      // Act
      const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true, isStaleTemp: staleTempMatcher(['0123456789abcdef']) });

      // Assess
      expect(plan.copyFiles).toEqual([]);
      expect(paths(plan.extras)).toEqual(['gone']);
    });
  });

  describe('FIFOs and device nodes', () => {
    const fifo = (rel: string, extra: Partial<TreeEntry> = {}) => entry(rel, 'special', { typeName: 'fifo', format: 0o010000, rdev: 0n, ...extra });
    const device = (rel: string, rdev: bigint) => entry(rel, 'special', { typeName: 'character device', format: 0o020000, rdev });

    it('creates what is missing or of another device number, fixes metadata, and lists what cannot be made here', () => {
      // Prepare
      const source = [root, fifo('new'), fifo('moded', { mode: 0o600 }), device('renumbered', 7n), device('same', 3n), device('forbidden', 5n)];
      const destination = [root, fifo('moded'), device('renumbered', 8n), device('same', 3n)];
      const cannotCreate = (e: TreeEntry) => (e.rel.toString() === 'forbidden' ? 'creating a device node needs root (CAP_MKNOD)' : undefined);

      // Act
      const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true, cannotCreate });

      // Assess
      expect(paths(plan.specials)).toEqual(['new', 'renumbered']);
      expect(paths(plan.fixFiles)).toEqual(['moded']);
      expect(plan.unsupported).toEqual([{ path: 'forbidden', reason: 'cannot copy character device: creating a device node needs root (CAP_MKNOD)' }]);
    });
  });

  describe('times, attributes and content', () => {
    it('compares times at the destination\'s granularity: to the nanosecond when it keeps them', () => {
      // Prepare
      const source = [root, entry('f', 'file', { mtimeNs: T + 1n })];
      const destination = [root, entry('f', 'file')];

      // Act
      const fine = planCopy(source, destination, { mode: 'mirror', compareOwner: true, timeGranularityNs: 1n });
      const coarse = planCopy(source, destination, { mode: 'mirror', compareOwner: true, timeGranularityNs: 1000n });

      // Assess
      expect(paths(fine.copyFiles)).toEqual(['f']);
      expect(coarse.copyFiles).toEqual([]);
    });

    it('fixes a file whose extended attributes or atime differ, and settles folders that match', () => {
      // Prepare
      const xattrs = [['user.a', Buffer.from('1')]] as const;
      const source = [root, entry('d', 'dir', { xattrs }), entry('same', 'dir'), entry('t', 'file', { atimeNs: T + 5_000n }), entry('x', 'file', { xattrs })];
      const destination = [root, entry('d', 'dir'), entry('same', 'dir', { atimeNs: T + 9_000n }), entry('x', 'file'), entry('t', 'file')];

      // Act
      const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true });

      // Assess
      expect(paths(plan.fixFiles)).toEqual(['t', 'x']);
      expect([...plan.settledDirs].sort()).toEqual(['', 'same']); // a folder's atime is not compared
    });

    it('lists files whose size and mtime match for a content compare in checksum mode', () => {
      // Prepare
      const source = [root, entry('same', 'file', { size: 3 }), entry('new', 'file', { size: 3 })];
      const destination = [root, entry('same', 'file', { size: 3 })];

      // Act
      const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true, checksum: true });

      // Assess
      expect(paths(plan.compareFiles)).toEqual(['same']);
      expect(paths(plan.copyFiles)).toEqual(['new']);
    });

    it('compares by content the files an unfinished run placed (ctime at or after the journal\'s since), and only those', () => {
      // Prepare
      const source = [root, entry('before', 'file', { size: 3 }), entry('after', 'file', { size: 3 })];
      const destination = [root, entry('before', 'file', { size: 3, ctimeNs: T + 10n }), entry('after', 'file', { size: 3, ctimeNs: T + 20n })];

      // Act
      const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true, suspectSinceNs: T + 20n });

      // Assess
      expect(paths(plan.compareFiles)).toEqual(['after']);
      expect(plan.copyFiles).toEqual([]);
      expect(plan.unchangedFiles).toBe(2);
    });
  });
});
