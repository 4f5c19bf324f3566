import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyFailedError, copyTree, nativeStatus, type CopySummary } from '../../../copy-task/engine/index.ts';
import { compareTrees, requireCheckTools } from '../fidelity/checks.ts';
import { nativeOrThrow } from '../fidelity/every-case-tree.ts';
import { useTempDirs } from '../helpers.ts';
import { buildRandomTree, mutate, randomSource } from './random-tree.ts';

/**
 * Fuzzes the native walk (copy-task/native/src/smig_walk.c and what it calls) with random trees: each
 * round builds a tree from a seed (random-tree.ts), copies it in a bulk pass while a mutator renames,
 * deletes, appends and replaces folders with links and files with folders, then copies again with
 * nothing changing. The first pass must end without error (what changed under it is left to the next
 * pass, as documented); the quiet pass must leave the destination exactly the source (compare-trees.py:
 * types, modes, owners, times to the nanosecond, content, xattrs, hard-link groups, sparseness).
 *
 * Runs SMIG_TREE_FUZZ_SECONDS (default 30; 0: one round) from SMIG_TREE_FUZZ_SEED (default fixed, so
 * the suite is repeatable); a failure names its round's seed. copy-task/native/sanitize.sh runs it
 * against the ASan + UBSan build. Hunt longer with
 *   SMIG_TREE_FUZZ_SECONDS=1800 SMIG_TREE_FUZZ_SEED=$RANDOM npx vitest run test/copy-task/fuzz
 * The tree replays exactly from a seed; the mutator's timing against the copy does not.
 */
const SECONDS = Number(process.env['SMIG_TREE_FUZZ_SECONDS'] ?? 30);
const SEED = Number(process.env['SMIG_TREE_FUZZ_SEED'] ?? 160_016);
/** A round takes a few seconds (several under the sanitizers); one past this hangs. */
const ROUND_SECONDS = 90;

/**
 * The engine's temp names under `root`, by find(1): never following links (Node's recursive readdir
 * went round a loop of links the mutator made, holding the round forever).
 */
function tempFilesLeft(root: string): string[] {
  return execFileSync('find', [root, '-name', '.smig-tmp-*', '-print0']).toString('latin1').split('\0').filter(Boolean);
}

describe.skipIf(!nativeStatus.loaded)('Function: copyTree (random trees, changing under the native walk)', () => {
  const tempDir = useTempDirs();

  /** One round: the seed's tree, a pass while it changes, a quiet pass, the comparison. Returns what went wrong, or undefined. */
  async function round(seed: number): Promise<string | undefined> {
    const random = randomSource(seed);
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    const tree = await buildRandomTree(nativeOrThrow(), src, random, random.int(10, 120));
    const options = { concurrency: random.int(1, 4), ...(random.chance(0.3) ? { bytesPerSecond: 16 * 1024 * 1024 } : {}) };

    let copying = true;
    const mutator = mutate(tree, randomSource(seed ^ 0x5eed), () => !copying);
    const changing = await copyTree(src, dst, options).catch((error: unknown) => error);
    copying = false;
    await mutator;
    if (changing instanceof CopyFailedError) return `the pass with changes failed: ${changing.message} ${JSON.stringify(changing.failures ?? [])}`;
    if (changing instanceof Error) return `the pass with changes threw: ${changing.stack ?? changing.message}`;

    const quiet = (await copyTree(src, dst, { concurrency: options.concurrency, checksum: random.chance(0.3) })) as CopySummary;
    if (quiet.changed !== 0 || quiet.vanished !== 0) return `the quiet pass saw changes: ${JSON.stringify({ changed: quiet.changedPaths, vanished: quiet.vanished })}`;
    const { differences } = compareTrees(src, dst);
    if (differences.length > 0) return `after the quiet pass the trees differ: ${differences.slice(0, 20).join('\n')}`;
    const leftovers = tempFilesLeft(dst);
    if (leftovers.length > 0) return `temp files left in the destination: ${leftovers.join(', ')}`;
    return undefined;
  }

  /** A round that does not end in ROUND_SECONDS is a hang, and says so with its seed (rather than the whole test timing out). */
  async function withinRound(work: Promise<string | undefined>): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`the round did not end in ${ROUND_SECONDS} s`), ROUND_SECONDS * 1000)));
    try {
      return await Promise.race([work, hang]);
    } finally {
      clearTimeout(timer);
    }
  }

  it(`copies random trees changing under the copy, then quietly to an exact copy (${SECONDS} s from seed ${SEED})`, { timeout: (SECONDS + ROUND_SECONDS + 30) * 1000 }, async () => {
    // Prepare
    requireCheckTools();
    const until = Date.now() + SECONDS * 1000;

    // Act
    const rounds: { seed: number; problem: string | undefined }[] = [];
    do {
      const seed = SEED + rounds.length;
      rounds.push({ seed, problem: await withinRound(round(seed)) });
    } while (Date.now() < until && rounds.every((r) => r.problem === undefined));

    // Assess
    const failed = rounds.find((r) => r.problem !== undefined);
    if (failed) expect.fail(`round with seed ${failed.seed} (replay: SMIG_TREE_FUZZ_SEED=${failed.seed} SMIG_TREE_FUZZ_SECONDS=0): ${failed.problem}`);
    expect(rounds.length).toBeGreaterThan(0);
  });
});
