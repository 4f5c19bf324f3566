import type { CopyPass, MigrationProgress } from '../model.ts';
import type { CopyProgress } from '../progress.ts';

/**
 * A partitioned copy (issue 15): the plan step cuts the source tree into ranges of its depth-first,
 * name-sorted order (copy-task/engine/partition-range.ts), one copy task copies each range, and a seal
 * step sets what no single partition owns (the folders on the cuts). These are the records the plan
 * step, the partition tasks and the seal step keep in the partitions table, one item each, keyed by
 * migration id and `item`: the plan's and each partition's own, so that hundreds of tasks reporting at
 * once write small items of their own instead of one large migration record.
 */

/** The `item` key of the plan. */
export const PLAN_ITEM = 'plan';

/** The `item` key of partition `index` (zero-padded: the items sort in partition order). */
export function partitionItem(index: number): string {
  return `partition#${String(index).padStart(4, '0')}`;
}

/** The most partitions one migration may have: Step Functions' States.ArrayRange makes at most 1,000 items. */
export const MAX_PARTITIONS = 1000;

/**
 * Copy tasks of one migration running at once when the migration does not say (the Distributed Map's
 * MaxConcurrency): four 1-vCPU tasks stay within the Fargate vCPU quota a new account starts with (6).
 */
export const DEFAULT_MAX_COPY_TASKS = 4;

/** What the plan step found and decided, as stored (paths base64 of their bytes: names need not be UTF-8). */
export interface PartitionPlanRecord {
  readonly migration_id: string;
  readonly item: typeof PLAN_ITEM;
  /** How many partitions (the Map's items are 0 .. partitions-1). */
  readonly partitions: number;
  /** partitions-1 cut points, ascending: partition i is [cuts[i-1], cuts[i]), the first open below, the last above. */
  readonly cuts: readonly string[];
  /** The survey's totals, and each partition's share of them, as estimates for progress before a partition reports. */
  readonly totals: { readonly bytes: number; readonly entries: number };
  readonly estimates: readonly { readonly bytes: number; readonly entries: number }[];
  readonly planned_at: string;
  /** How long the survey took. */
  readonly seconds: number;
}

export type PartitionState = 'copying' | 'done' | 'failed';

/** One partition's last report: the engine's counters as its copy task last reported them, and what the partition is at. */
export interface PartitionProgressRecord extends Omit<CopyProgress, 'type' | 'pass'> {
  readonly migration_id: string;
  readonly item: string;
  readonly index: number;
  readonly pass: CopyPass;
  readonly state: PartitionState;
  /** Copy tasks started for this partition in this migration (a retried one counts again). */
  readonly attempts: number;
  readonly task_id: string | null;
  readonly started_at: string;
  readonly updated_at: string;
  /** Once done: the pass's own summary. */
  readonly seconds?: number;
  readonly verified?: boolean;
  readonly error?: string;
}

/** The range of partition `index` in a plan: its lower and upper cut (base64), absent at the open ends. */
export function partitionBounds(plan: Pick<PartitionPlanRecord, 'partitions' | 'cuts'>, index: number): { from?: string; to?: string } {
  if (!Number.isInteger(index) || index < 0 || index >= plan.partitions) {
    throw new RangeError(`partition ${index} is not one of the plan's ${plan.partitions}`);
  }
  if (plan.cuts.length !== plan.partitions - 1) throw new RangeError(`a plan of ${plan.partitions} partitions has ${plan.partitions - 1} cuts, this one ${plan.cuts.length}`);
  return {
    ...(index > 0 ? { from: plan.cuts[index - 1]! } : {}),
    ...(index < plan.partitions - 1 ? { to: plan.cuts[index]! } : {}),
  };
}

/** What GET /v2/migrations/{id} and migration_get_progress show of each partition. */
export interface PartitionView {
  readonly index: number;
  readonly state: PartitionState | 'waiting';
  readonly pass: CopyPass | null;
  readonly attempts: number;
  readonly files_done: number;
  readonly files_total: number;
  readonly bytes_done: number;
  readonly bytes_total: number;
  readonly bytes_per_second: number;
  readonly error?: string;
}

/**
 * The migration's progress over its partitions: bytes and files summed, the rate summed over the
 * partitions copying, the ETA from what is left at that rate. A partition that has not reported yet counts
 * with the plan's estimate (so the total does not jump as tasks start). Only the reports of `pass` count.
 */
export function aggregatePartitions(
  plan: PartitionPlanRecord,
  reports: readonly PartitionProgressRecord[],
  pass: CopyPass,
  now: Date,
): { progress: MigrationProgress; partitions: PartitionView[] } {
  const byIndex = new Map(reports.filter((r) => r.pass === pass).map((r) => [r.index, r]));
  const views: PartitionView[] = [];
  let bytesDone = 0;
  let bytesTotal = 0;
  let filesDone = 0;
  let filesTotal = 0;
  let rate = 0;
  let done = 0;
  for (let index = 0; index < plan.partitions; index++) {
    const report = byIndex.get(index);
    const estimate = plan.estimates[index] ?? { bytes: 0, entries: 0 };
    if (report === undefined) {
      bytesTotal += estimate.bytes;
      filesTotal += estimate.entries;
      views.push({ index, state: 'waiting', pass: null, attempts: 0, files_done: 0, files_total: estimate.entries, bytes_done: 0, bytes_total: estimate.bytes, bytes_per_second: 0 });
      continue;
    }
    // A survey that has not counted yet reports zero totals: the estimate stands in.
    const counted = report.bytes_total > 0 || report.files_total > 0 || report.state !== 'copying';
    bytesDone += report.bytes_done;
    filesDone += report.files_done;
    bytesTotal += counted ? report.bytes_total : estimate.bytes;
    filesTotal += counted ? report.files_total : estimate.entries;
    if (report.state === 'copying') rate += report.bytes_per_second;
    if (report.state === 'done') done += 1;
    views.push({
      index, state: report.state, pass: report.pass, attempts: report.attempts, files_done: report.files_done, files_total: report.files_total,
      bytes_done: report.bytes_done, bytes_total: report.bytes_total, bytes_per_second: report.state === 'copying' ? report.bytes_per_second : 0,
      ...(report.error !== undefined ? { error: report.error } : {}),
    });
  }
  const left = Math.max(0, bytesTotal - bytesDone);
  const fraction = bytesTotal > 0 ? bytesDone / bytesTotal : filesTotal > 0 ? filesDone / filesTotal : done / plan.partitions;
  const allDone = done === plan.partitions;
  return {
    progress: {
      pass,
      phase: allDone ? 'done' : 'copying',
      files_done: filesDone,
      files_total: filesTotal,
      bytes_done: bytesDone,
      bytes_total: bytesTotal,
      bytes_per_second: Math.round(rate),
      eta_seconds: allDone ? 0 : rate > 0 ? Math.ceil(left / rate) : null,
      // 100 only once phase 1 is done (progress-view.ts), as for one copy task.
      total_progress: Math.min(99, Math.floor(99 * Math.min(1, fraction))),
      updated_at: now.toISOString(),
    },
    partitions: views,
  };
}

/** The pass the partitions last worked on: the newest report's. */
export function currentPass(reports: readonly PartitionProgressRecord[]): CopyPass | null {
  let newest: PartitionProgressRecord | undefined;
  for (const report of reports) if (newest === undefined || report.updated_at > newest.updated_at) newest = report;
  return newest?.pass ?? null;
}
