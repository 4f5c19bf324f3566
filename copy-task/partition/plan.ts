/**
 * The plan step of a partitioned copy: surveys the source (survey.ts) and cuts it into partitions
 * balanced by bytes and by entry count (cut-chooser.ts), as fpart does for fpsync, with ranges of the
 * partition order instead of file lists: a partition is [from, to), so a subtree lies in one partition
 * unless a cut falls inside it, and a huge folder is split by name ranges. The plan is the input of a
 * Step Functions Map state, so it must stay within a state input's 256 KB.
 */
import { CutChooser, type ChosenPartition } from './cut-chooser.ts';
import { PlanTooLargeError } from './errors.ts';
import { surveyTree, type SurveyOptions } from './survey.ts';
import type { PartitionPlan, SurveyedEntry } from './types.ts';

export interface PlanOptions extends SurveyOptions {
  /** How many partitions (fewer when the tree has fewer entries). @default from the totals: see partitionCount */
  readonly partitions?: number;
  /** The most partitions a plan may have. @default 1,000 (a plan of 1,000 fits 256 KB with cuts of up to about 45 bytes) */
  readonly maxPartitions?: number;
  /** The bytes of a partition when `partitions` is not given. @default 1 TiB (about 3 hours at 100 MiB/s) */
  readonly bytesPerPartition?: number;
  /** The entries of a partition when `partitions` is not given. @default 1,000,000 */
  readonly entriesPerPartition?: number;
  /** Candidate cut points the chooser keeps (memory). @default CutChooser's */
  readonly candidates?: number;
}

export const PLAN_VERSION = 1;
export const DEFAULT_MAX_PARTITIONS = 1_000;
export const DEFAULT_BYTES_PER_PARTITION = 1024 ** 4;
export const DEFAULT_ENTRIES_PER_PARTITION = 1_000_000;
/** Step Functions' limit on a state's input and output (bytes of UTF-8 JSON). */
export const PLAN_SIZE_LIMIT = 256 * 1024;

/** Surveys `sourceRoot` and plans its partitions. */
export async function planPartitions(sourceRoot: string, options: PlanOptions = {}): Promise<PartitionPlan> {
  return planFromListing(surveyTree(sourceRoot, options), options);
}

/** Plans the partitions of a listing in partition order (a survey, or synthetic.ts): the planner without a file system. */
export async function planFromListing(listing: AsyncIterable<SurveyedEntry> | Iterable<SurveyedEntry>, options: PlanOptions = {}): Promise<PartitionPlan> {
  const count = partitionCounter(options);
  const chooser = new CutChooser(options.candidates === undefined ? {} : { candidates: options.candidates });
  for await (const entry of listing) chooser.add(entry.path, entry.bytes);
  return planOf(chooser, count);
}

/** The plan of what `chooser` was given, in `partitions(totals)` partitions; PlanTooLargeError past 256 KB. */
export function planOf(chooser: CutChooser, partitions: (totals: { bytes: number; entries: number }) => number): PartitionPlan {
  const totals = chooser.totals;
  const chosen = chooser.choose(partitions(totals));
  const plan = toPlan(totals, chosen);
  const size = Buffer.byteLength(JSON.stringify(plan));
  if (size > PLAN_SIZE_LIMIT) throw new PlanTooLargeError(chosen.length, size, PLAN_SIZE_LIMIT);
  return plan;
}

/**
 * How many partitions a tree gets: `partitions` when given, else one per `bytesPerPartition` or per
 * `entriesPerPartition`, whichever asks for more, at least 1 and at most `maxPartitions`.
 */
export function partitionCounter(options: PlanOptions): (totals: { bytes: number; entries: number }) => number {
  const max = options.maxPartitions ?? DEFAULT_MAX_PARTITIONS;
  positiveInteger('maxPartitions', max);
  if (options.partitions !== undefined) {
    positiveInteger('partitions', options.partitions);
    if (options.partitions > max) throw new RangeError(`partitions (${options.partitions}) must not exceed maxPartitions (${max})`);
    const partitions = options.partitions;
    return () => partitions;
  }
  const bytesPer = options.bytesPerPartition ?? DEFAULT_BYTES_PER_PARTITION;
  const entriesPer = options.entriesPerPartition ?? DEFAULT_ENTRIES_PER_PARTITION;
  positiveInteger('bytesPerPartition', bytesPer);
  positiveInteger('entriesPerPartition', entriesPer);
  return ({ bytes, entries }) => Math.min(max, Math.max(1, Math.ceil(bytes / bytesPer), Math.ceil(entries / entriesPer)));
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

function toPlan(totals: { bytes: number; entries: number }, chosen: readonly ChosenPartition[]): PartitionPlan {
  return {
    version: PLAN_VERSION,
    totals: { bytes: totals.bytes, entries: totals.entries },
    partitions: chosen.map(({ from, to, bytes, entries }) => ({
      ...(from ? { from: from.toString('base64') } : {}),
      ...(to ? { to: to.toString('base64') } : {}),
      bytes,
      entries,
    })),
    cuts: chosen.slice(1).map(({ from }) => (from as Buffer).toString('base64')),
  };
}
