/**
 * The engine's own hands on the destination, for what a plan (plan.ts) lists: clearing what is in
 * the way, making folders, copying files, links and special files one by one, fixing attributes,
 * linking further names of files, removing extras, and finishing folders deepest first. The portable
 * walk sends every entry here; the native walk only those its folder calls hand over.
 */
import { chmod, mkdir, unlink } from './long-paths.ts';
import { contentDigest } from './checksum.ts';
import { BATCH_FILE_BYTES, BATCH_FILES, canBatch, copyBatch, copyRegularFile, type FileCopyResult } from './copy-file.ts';
import { copySpecial } from './copy-special.ts';
import { copySymlink } from './copy-symlink.ts';
import { throwIfAborted } from './errors.ts';
import { linkFile } from './link-file.ts';
import { applyAttributes, checkAttributes, verifyAttributes } from './metadata.ts';
import { depthOf, display, keyOf } from './paths.ts';
import type { CopyPlan } from './plan.ts';
import { removeTree } from './remove.ts';
import type { RunState } from './run-state.ts';
import { codeOf, readEntry } from './scan.ts';
import type { TreeEntry } from './types.ts';

/** Clears what stands in the way, then creates missing folders (mode 0700 until finished). */
export async function prepareFolders(state: RunState, plan: CopyPlan): Promise<void> {
  // A non-folder where the source has a boundary folder of a partitioned pass: unlinked only, since
  // another partition may have replaced it by the folder already, and be writing in it.
  const atBoundary = (entry: TreeEntry) => entry.kind !== 'dir' && (state.partition?.isBoundary(entry.rel) ?? false);
  await removeEntries(state, 'copying', [...plan.replace.filter((entry) => !atBoundary(entry)), ...plan.staleTemps]);
  await state.each(plan.replace.filter(atBoundary), (entry) =>
    state.attempt(entry.rel, 'cannot remove from the destination', async () => {
      try {
        await unlink(state.destination(entry.rel));
        state.ledger.deleted += 1;
        state.touchParent(entry.rel);
      } catch (error) {
        if (codeOf(error) !== 'ENOENT' && codeOf(error) !== 'EISDIR') throw error;
      }
    }),
  );
  if (!state.isRoot) {
    await state.each(plan.lockedDirs, (dir) =>
      state.attempt(dir.rel, 'cannot open up folder', async () => {
        await chmod(state.destination(dir.rel), dir.mode | 0o700);
        state.touch(dir.rel);
      }),
    );
  }
  for (const level of plan.createDirs) {
    await state.each(level, (dir) =>
      state.attempt(dir.rel, 'cannot create folder', async () => {
        try {
          await mkdir(state.destination(dir.rel), 0o700);
        } catch (error) {
          // A boundary folder of a partitioned pass: another partition may have just made it.
          if (codeOf(error) === 'EEXIST' && state.partition?.isBoundary(dir.rel)) return;
          throw error;
        }
        state.ledger.dirs += 1;
        state.touch(dir.rel);
        state.touchParent(dir.rel);
      }),
    );
  }
}

/** File data, symbolic links, FIFOs, sockets and devices, content compares and attribute fixes of one folder. */
export async function copyEntries(state: RunState, plan: CopyPlan): Promise<void> {
  const { ledger, tracker, settings } = state;
  const copyFile = (entry: TreeEntry, first?: Parameters<typeof copyRegularFile>[4]) => {
    const key = keyOf(entry.rel);
    if (entry.linkKey !== undefined) state.outcomes.set(key, 'failed');
    return state.attempt(entry.rel, 'cannot copy', async () => {
      const result: FileCopyResult = await copyRegularFile(state.context, entry, (bytes) => tracker.add(0, bytes), settings.stableSource, first);
      state.drainProgress();
      tracker.adjustTotal(result.progressed - entry.size);
      tracker.add(1, 0);
      if (entry.linkKey !== undefined) state.outcomes.set(key, result.state);
      if (!ledger.noteSource(entry, result.state)) return;
      ledger.files += 1;
      ledger.bytes += result.bytes;
      if (settings.verify) ledger.noteVerified(result.readBack);
      state.touchParent(entry.rel);
    });
  };
  const copyLink = (entry: TreeEntry) =>
    state.attempt(entry.rel, 'cannot copy link', async () => {
      if (!ledger.noteSource(entry, await copySymlink(state.context, entry))) return;
      ledger.symlinks += 1;
      state.touchParent(entry.rel);
    });
  const copySpecialFile = (entry: TreeEntry) =>
    state.attempt(entry.rel, `cannot copy ${entry.typeName}`, async () => {
      if (!ledger.noteSource(entry, await copySpecial(state.context, entry))) return;
      ledger.specials += 1;
      state.touchParent(entry.rel);
    });
  const fix = (entry: TreeEntry) =>
    state.attempt(entry.rel, 'cannot set attributes', async () => {
      const abs = state.destination(entry.rel);
      const ownerLeftOut = await applyAttributes(state.context, abs, entry);
      await verifyAttributes(state.context, abs, entry, entry.kind === 'special' ? 'special' : 'file');
      ledger.fixed += 1;
      ledger.leftOut.note(entry.rel, (entry.leftOut ?? 0) | ownerLeftOut);
    });
  const fixKeys = new Set(plan.fixFiles.map((entry) => keyOf(entry.rel)));
  const compareKeys = new Set(plan.compareFiles.map((entry) => keyOf(entry.rel)));
  // A file whose size and mtime match but not its content (checksum, or placed by a run that did
  // not finish writing back) is copied again; one that matches still gets its attributes fixed.
  const compare = async (entry: TreeEntry) => {
    let differs = false;
    await state.attempt(entry.rel, 'cannot compare', async () => {
      const options = { signal: settings.signal, limiter: state.context.limiter };
      const [source, destination] = await Promise.all([
        contentDigest(state.platform, state.source(entry.rel), options),
        contentDigest(state.platform, state.destination(entry.rel), { signal: settings.signal }),
      ]);
      differs = source.digest !== destination.digest || source.size !== destination.size;
    });
    if (differs) {
      ledger.unchanged -= 1;
      tracker.adjustTotal(entry.size);
      await copyFile(entry);
    } else if (fixKeys.has(keyOf(entry.rel))) {
      await fix(entry);
    }
  };

  // Small files several at a time (one trip to the addon's threads for a batch), the rest alone.
  const copyFiles = async (batch: readonly TreeEntry[]) => {
    let firsts: Awaited<ReturnType<typeof copyBatch>>;
    try {
      firsts = await copyBatch(state.context, batch);
    } catch (error) {
      firsts = batch.map(() => (error instanceof Error ? error : new Error(String(error))));
    }
    await Promise.all(batch.map((entry, i) => copyFile(entry, firsts?.[i])));
  };
  const batched = canBatch(state.context) ? plan.copyFiles.filter((entry) => entry.size <= BATCH_FILE_BYTES) : [];
  const batches: TreeEntry[][] = [];
  for (let i = 0; i < batched.length; i += BATCH_FILES) batches.push(batched.slice(i, i + BATCH_FILES));
  const alone = batched.length === 0 ? plan.copyFiles : plan.copyFiles.filter((entry) => entry.size > BATCH_FILE_BYTES);

  const steps: (() => Promise<void>)[] = [
    ...batches.map((batch) => () => (batch.length === 1 ? copyFile(batch[0] as TreeEntry) : copyFiles(batch))),
    ...alone.map((entry) => () => copyFile(entry)),
    ...plan.compareFiles.map((entry) => () => compare(entry)),
    ...plan.links.map((entry) => () => copyLink(entry)),
    ...plan.specials.map((entry) => () => copySpecialFile(entry)),
    ...plan.fixFiles.filter((entry) => !compareKeys.has(keyOf(entry.rel))).map((entry) => () => fix(entry)),
  ];
  // Every step ends before the folder does (a stopped run leaves nothing in flight behind it).
  const results = await Promise.allSettled(
    steps.map((step) =>
      state.slots.run(async () => {
        throwIfAborted(settings.signal);
        await step();
      }),
    ),
  );
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Further names of files with several, once every file they name is in place. */
export async function linkHardLinks(state: RunState): Promise<void> {
  const { ledger } = state;
  await state.each(state.hardLinks, async (hardLink) => {
    const { entry, leader } = hardLink;
    const outcome = state.outcomes.get(keyOf(leader.rel));
    // The plan of one folder could not know whether the leader's copy is made again in this run.
    if (outcome === undefined && hardLink.linked) return; // the same file already, and its data was not copied again
    if (hardLink.linked) ledger.unchanged -= 1;
    if (outcome === 'failed') {
      ledger.fail({ path: display(entry.rel), reason: `not linked: ${display(leader.rel)}, another name of the same file, could not be copied` });
      return;
    }
    if (outcome === 'changed' || outcome === 'vanished') {
      ledger.noteSource(entry, outcome);
      return;
    }
    await state.attempt(entry.rel, 'cannot link', async () => {
      if (!ledger.noteSource(entry, await linkFile(state.context, hardLink))) return;
      ledger.hardlinks += 1;
      state.touchParent(entry.rel);
    });
  });
}

export async function removeEntries(state: RunState, phase: 'copying' | 'deleting', entries: readonly TreeEntry[]): Promise<void> {
  if (entries.length === 0) return;
  if (phase === 'deleting') state.tracker.startPhase('deleting', { files: entries.length, bytes: 0 });
  await state.each(entries, (entry) =>
    state.attempt(entry.rel, 'cannot remove from the destination', async () => {
      const removed = await removeTree(state.destination(entry.rel), state.context);
      state.leftovers.delete(keyOf(entry.rel));
      state.ledger.deleted += removed;
      state.touchParent(entry.rel);
      if (phase === 'deleting') state.tracker.add(1, 0);
    }),
  );
}

/**
 * Owner, attributes, mode and times of folders, deepest first, once nothing more changes inside
 * them: those this run created or changed, and those whose attributes differ. A run that found
 * nothing to do has only the root to see to (the time probe came and went in it).
 */
export async function finishFolders(state: RunState, rootEntry: () => Promise<TreeEntry>): Promise<void> {
  const byDepth: TreeEntry[][] = [];
  for (const dir of state.folders) {
    const key = keyOf(dir.rel);
    if ((!state.touched.has(key) && state.settled.has(key)) || state.unfinished.has(key)) continue;
    const depth = depthOf(dir.rel);
    while (byDepth.length <= depth) byDepth.push([]);
    byDepth[depth]?.push(dir);
  }
  // A partitioned pass leaves the root, a boundary folder, to the seal.
  if (state.folders.length === 0 && !state.partition) {
    // The walk met no folder (nothing to copy): the root's own attributes are set only where they
    // differ, so a pass over a tree in sync writes nothing.
    const root = await rootEntry();
    const touched = state.touched.has(keyOf(root.rel));
    if (touched || (await checkAttributes(state.context, state.destination(root.rel), root, 'dir')).length > 0) byDepth.push([root]);
  }
  for (const level of byDepth.reverse()) {
    await state.each(level, (dir) =>
      state.attempt(dir.rel, 'cannot set folder attributes', async () => {
        const abs = state.destination(dir.rel);
        const ownerLeftOut = await applyAttributes(state.context, abs, dir);
        await verifyAttributes(state.context, abs, dir, 'dir');
        state.ledger.leftOut.noteFolder(dir.rel, (dir.leftOut ?? 0) | ownerLeftOut);
      }),
    );
  }
}

/** The source root as the portable listing reads it (for a run with nothing else to finish). */
export function readSourceRoot(state: RunState, modeOf?: (rel: Buffer, statMode: number) => number) {
  return readEntry(state.roots.sourceRoot, Buffer.alloc(0), {
    readXattrs: (abs) => state.platform.readXattrs(abs),
    leaveOut: state.ledger.leftOut.kinds,
    ...(modeOf ? { modeOf } : {}),
  });
}
