import type { PartitionPlanRecord, PartitionProgressRecord } from './partition-records.ts';

/** Where a partitioned copy keeps its plan and each partition's reports (partition-records.ts). */
export interface PartitionStore {
  /** Replaces the migration's plan (a bulk pass that runs again plans again). */
  putPlan(plan: PartitionPlanRecord): Promise<void>;
  getPlan(migrationId: string): Promise<PartitionPlanRecord | null>;
  /** Replaces partition `record.index`'s report. */
  putPartition(record: PartitionProgressRecord): Promise<void>;
  getPartition(migrationId: string, index: number): Promise<PartitionProgressRecord | null>;
  /** Every partition's report, in partition order (one Query: the items sort by index). */
  listPartitions(migrationId: string): Promise<PartitionProgressRecord[]>;
}
