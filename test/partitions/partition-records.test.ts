import { describe, expect, it } from 'vitest';
import {
  aggregatePartitions, currentPass, partitionBounds, partitionItem, PLAN_ITEM, type PartitionPlanRecord, type PartitionProgressRecord,
} from '../../lambdas/core/partitions/partition-records.ts';

const NOW = new Date('2026-12-08T01:00:00.000Z');

function plan(partitions: number, estimates = Array.from({ length: partitions }, () => ({ bytes: 100, entries: 10 }))): PartitionPlanRecord {
  return {
    migration_id: 'm-1', item: PLAN_ITEM, partitions, cuts: Array.from({ length: partitions - 1 }, (_, i) => Buffer.from(`cut${i}`).toString('base64')),
    totals: { bytes: 100 * partitions, entries: 10 * partitions }, estimates, planned_at: NOW.toISOString(), seconds: 1,
  };
}

function report(index: number, change: Partial<PartitionProgressRecord> = {}): PartitionProgressRecord {
  return {
    migration_id: 'm-1', item: partitionItem(index), index, pass: 'bulk', state: 'copying', attempts: 1, task_id: `t-${index}`,
    files_done: 0, files_total: 10, bytes_done: 0, bytes_total: 100, bytes_per_second: 0, eta_seconds: null, phase: 'copying',
    started_at: '2026-12-08T00:00:00.000Z', updated_at: '2026-12-08T00:10:00.000Z', ...change,
  };
}

describe('Function: partitionBounds', () => {
  it('gives the first partition no lower end, the last no upper end, the others both cuts around them', () => {
    // Prepare
    const three = plan(3);

    // Act & Assess
    expect(partitionBounds(three, 0)).toEqual({ to: three.cuts[0] });
    expect(partitionBounds(three, 1)).toEqual({ from: three.cuts[0], to: three.cuts[1] });
    expect(partitionBounds(three, 2)).toEqual({ from: three.cuts[1] });
    expect(partitionBounds(plan(1), 0)).toEqual({});
  });

  it('refuses an index outside the plan, and a plan whose cuts do not match its count', () => {
    expect(() => partitionBounds(plan(3), 3)).toThrow(/partition 3 is not one of the plan's 3/);
    expect(() => partitionBounds(plan(3), -1)).toThrow(RangeError);
    expect(() => partitionBounds({ partitions: 3, cuts: ['a'] }, 0)).toThrow(/has 2 cuts, this one 1/);
  });
});

describe('Function: partitionItem', () => {
  it('pads the index so the items sort in partition order', () => {
    expect([partitionItem(10), partitionItem(9), partitionItem(100)].sort()).toEqual([partitionItem(9), partitionItem(10), partitionItem(100)]);
  });
});

describe('Function: aggregatePartitions', () => {
  it('sums bytes, files and the rate of the partitions copying, counts waiting ones at the estimate, and derives the ETA', () => {
    // Prepare
    const reports = [
      report(0, { state: 'done', files_done: 10, bytes_done: 100, bytes_total: 100 }),
      report(1, { files_done: 5, bytes_done: 40, bytes_per_second: 20 }),
      report(2, { files_done: 1, bytes_done: 10, bytes_per_second: 10, attempts: 2 }),
    ];

    // Act
    const { progress, partitions } = aggregatePartitions(plan(4), reports, 'bulk', NOW);

    // Assess
    expect(progress).toEqual({
      pass: 'bulk', phase: 'copying', files_done: 16, files_total: 40, bytes_done: 150, bytes_total: 400, bytes_per_second: 30,
      eta_seconds: Math.ceil(250 / 30), total_progress: Math.floor(99 * 150 / 400), updated_at: NOW.toISOString(),
    });
    expect(partitions.map((p) => [p.index, p.state, p.attempts])).toEqual([[0, 'done', 1], [1, 'copying', 1], [2, 'copying', 2], [3, 'waiting', 0]]);
    expect(partitions[0]!.bytes_per_second).toBe(0);
  });

  it('counts only the reports of the pass asked for: a final pass starting shows the final pass, not the bulk one before it', () => {
    // Prepare
    const reports = [report(0, { state: 'done', pass: 'bulk', bytes_done: 100 }), report(1, { pass: 'final', bytes_done: 50, bytes_total: 60, bytes_per_second: 5 })];

    // Act
    const { progress, partitions } = aggregatePartitions(plan(2), reports, 'final', NOW);

    // Assess
    expect(progress).toMatchObject({ pass: 'final', bytes_done: 50, bytes_total: 160, phase: 'copying' });
    expect(partitions[0]!.state).toBe('waiting');
  });

  it('is done at 99% once every partition is done (100 is phase 1 done, as for one copy task)', () => {
    // Act
    const { progress } = aggregatePartitions(plan(2), [report(0, { state: 'done', bytes_done: 100 }), report(1, { state: 'done', bytes_done: 100 })], 'bulk', NOW);

    // Assess
    expect(progress).toMatchObject({ phase: 'done', eta_seconds: 0, total_progress: 99, bytes_done: 200, bytes_total: 200 });
  });

  it('takes the estimate for a partition still surveying (zero totals reported), and says failures', () => {
    // Act
    const { progress, partitions } = aggregatePartitions(plan(2), [report(0, { bytes_total: 0, files_total: 0 }), report(1, { state: 'failed', error: 'EIO' })], 'bulk', NOW);

    // Assess
    expect(progress.bytes_total).toBe(200);
    expect(partitions[1]).toMatchObject({ state: 'failed', error: 'EIO' });
  });
});

describe('Function: currentPass', () => {
  it('is the pass of the newest report, null without reports', () => {
    expect(currentPass([report(0, { pass: 'bulk', updated_at: '2026-12-08T00:20:00.000Z' }), report(1, { pass: 'final', updated_at: '2026-12-08T00:30:00.000Z' })])).toBe('final');
    expect(currentPass([])).toBeNull();
  });
});
