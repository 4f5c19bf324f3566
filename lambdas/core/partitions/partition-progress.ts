import type { Migration } from '../model.ts';
import { aggregatePartitions, currentPass } from './partition-records.ts';
import type { PartitionStore } from './partition-store.ts';

/**
 * A partitioned migration as the API shows it: its progress summed over the partitions of the pass they
 * work on, and each partition's (partition-records.ts); read from the partitions table at each request,
 * never stored on the migration. A migration with one copy task, or whose plan is not made yet, is as stored.
 */
export async function withPartitionProgress(store: PartitionStore | undefined, migration: Migration, now: Date): Promise<Migration> {
  if (store === undefined || (migration.options.partitions ?? 1) <= 1) return migration;
  const plan = await store.getPlan(migration.id);
  if (plan === null) return migration;
  const reports = await store.listPartitions(migration.id);
  const pass = currentPass(reports);
  if (pass === null) return { ...migration, partitions: { count: plan.partitions, totals: plan.totals, planned_at: plan.planned_at, details: [] } };
  const { progress, partitions } = aggregatePartitions(plan, reports, pass, now);
  // Once the seal recorded the pass as done, the migration's own progress says so; before, the sum does.
  const sealed = migration.progress?.pass === pass && migration.progress.phase === 'done' && progress.phase === 'done';
  return {
    ...migration,
    progress: sealed ? migration.progress : progress,
    partitions: { count: plan.partitions, totals: plan.totals, planned_at: plan.planned_at, details: partitions },
  };
}
