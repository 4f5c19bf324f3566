import { describe, expect, it } from 'vitest';
import { planCopy } from '../../../copy-task/engine/plan.ts';
import type { TreeEntry } from '../../../copy-task/engine/types.ts';

const T = 1_700_000_000_000_000_000n;

function entry(rel: string, kind: TreeEntry['kind'], extra: Partial<TreeEntry> = {}): TreeEntry {
  return {
    rel: Buffer.from(rel), kind, typeName: kind === 'unsupported' ? 'socket' : kind,
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

  it('keeps extras in merge mode but still clears leftover temp files', () => {
    // Prepare
    const destination = [root, entry('extra', 'file'), entry('.smig-tmp-abcdef012345', 'file')];

    // Act
    const plan = planCopy([root], destination, { mode: 'merge', compareOwner: true });

    // Assess
    expect(plan.extras).toEqual([]);
    expect(paths(plan.staleTemps)).toEqual(['.smig-tmp-abcdef012345']);
  });

  it('recreates a link whose target or mtime differs, and lists what cannot be copied', () => {
    // Prepare
    const source = [root, entry('same', 'symlink', { target: Buffer.from('t') }), entry('moved', 'symlink', { target: Buffer.from('new') }), entry('sock', 'unsupported')];
    const destination = [root, entry('same', 'symlink', { target: Buffer.from('t') }), entry('moved', 'symlink', { target: Buffer.from('old') })];

    // Act
    const plan = planCopy(source, destination, { mode: 'mirror', compareOwner: true });

    // Assess
    expect(paths(plan.links)).toEqual(['moved']);
    expect(plan.unsupported).toEqual([{ path: 'sock', reason: 'unsupported file type: socket' }]);
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
});
