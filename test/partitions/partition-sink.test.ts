import { describe, expect, it } from 'vitest';
import type { PartitionPlanRecord, PartitionProgressRecord } from '../../lambdas/core/partitions/partition-records.ts';
import { startPartitionSink } from '../../lambdas/core/partitions/partition-sink.ts';
import type { PartitionStore } from '../../lambdas/core/partitions/partition-store.ts';
import type { CopyProgressSink } from '../../lambdas/core/progress.ts';

/** The partitions table in memory: what the sink puts, by index. */
class MemoryPartitions implements PartitionStore {
  readonly records = new Map<number, PartitionProgressRecord>();
  async putPlan(_plan: PartitionPlanRecord): Promise<void> {}
  async getPlan(): Promise<PartitionPlanRecord | null> { return null; }
  async putPartition(record: PartitionProgressRecord): Promise<void> { this.records.set(record.index, structuredClone(record)); }
  async getPartition(_migrationId: string, index: number): Promise<PartitionProgressRecord | null> { return this.records.get(index) ?? null; }
  async listPartitions(): Promise<PartitionProgressRecord[]> { return [...this.records.values()]; }
}

function migrationSink(cancel = false): CopyProgressSink & { failures: string[] } {
  const failures: string[] = [];
  return {
    failures,
    async report() {},
    async finished() {},
    async failed(pass, message) { failures.push(`${pass}: ${message}`); },
    async cancelRequested() { return cancel; },
  };
}

const progress = (bytes: number) => ({ type: 'progress' as const, pass: 'bulk' as const, phase: 'copying', files_done: 1, files_total: 4, bytes_done: bytes, bytes_total: 400, bytes_per_second: 50, eta_seconds: 6 });

describe('Function: startPartitionSink', () => {
  it('reports into the partition\'s own item: copying from the start, then its progress, then done with the pass\'s summary', async () => {
    // Prepare
    const store = new MemoryPartitions();
    let now = 0;
    const sink = await startPartitionSink({ store, migration: migrationSink(), migrationId: 'm-1', index: 2, pass: 'bulk', taskId: 't-9', now: () => new Date(now) });

    // Act & Assess
    expect(store.records.get(2)).toMatchObject({ migration_id: 'm-1', item: 'partition#0002', state: 'copying', attempts: 1, task_id: 't-9', phase: 'starting' });
    now = 5000;
    await sink.report(progress(100));
    expect(store.records.get(2)).toMatchObject({ state: 'copying', bytes_done: 100, bytes_total: 400, bytes_per_second: 50 });
    now = 5500;
    await sink.report(progress(150));
    expect(store.records.get(2)!.bytes_done).toBe(100);
    await sink.finished({ pass: 'bulk', files: 4, bytes: 400, seconds: 8, verified: true });
    expect(store.records.get(2)).toMatchObject({ state: 'done', phase: 'done', bytes_done: 400, seconds: 8, verified: true, eta_seconds: 0 });
  });

  it('counts a retried partition\'s attempts within a pass, and starts again at one for the next pass', async () => {
    // Prepare
    const store = new MemoryPartitions();
    const start = (pass: 'bulk' | 'final') => startPartitionSink({ store, migration: migrationSink(), migrationId: 'm-1', index: 0, pass, taskId: null });

    // Act
    await start('bulk');
    await start('bulk');
    const third = await start('bulk');
    const thirdAttempts = store.records.get(0)!.attempts;
    await third.finished({ pass: 'bulk', files: 0, bytes: 0, seconds: 1, verified: true });
    await start('final');

    // Assess
    expect(thirdAttempts).toBe(3);
    expect(store.records.get(0)).toMatchObject({ pass: 'final', attempts: 1 });
  });

  it('says a failure on the partition and on the migration (naming the partition), and asks the migration for cancels', async () => {
    // Prepare
    const store = new MemoryPartitions();
    const migration = migrationSink(true);
    const sink = await startPartitionSink({ store, migration, migrationId: 'm-1', index: 5, pass: 'final', taskId: null });

    // Act
    await sink.failed('final', 'EIO reading docs/a');

    // Assess
    expect(store.records.get(5)).toMatchObject({ state: 'failed', error: 'EIO reading docs/a' });
    expect(migration.failures).toEqual(['final: partition 5: EIO reading docs/a']);
    expect(await sink.cancelRequested()).toBe(true);
  });
});
