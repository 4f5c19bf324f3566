/** What the planner reads and writes. */

/** One entry of the source, as the survey (or a synthetic listing) hands it to the cut chooser, in partition order. */
export interface SurveyedEntry {
  /** Relative to the share root, components joined by '/', no leading '/'. */
  readonly path: Buffer;
  /** Its weight in bytes (see plan.ts: a regular file's size, anything else 0). */
  readonly bytes: number;
}

/** One partition of a plan: the half-open range [from, to) of the partition order, with what the survey found in it. */
export interface PlannedPartition {
  /** base64 of the first path it owns; absent for the first partition (open start). */
  readonly from?: string;
  /** base64 of the first path it no longer owns; absent for the last partition (open end). */
  readonly to?: string;
  readonly bytes: number;
  readonly entries: number;
}

export interface PartitionPlan {
  readonly version: 1;
  /** Everything below the root (the root itself not counted). */
  readonly totals: { readonly bytes: number; readonly entries: number };
  /** In partition order; partition i is [cuts[i-1], cuts[i]). */
  readonly partitions: readonly PlannedPartition[];
  /** The N-1 cut points, base64 of their path bytes, strictly ascending in the partition order. */
  readonly cuts: readonly string[];
}
