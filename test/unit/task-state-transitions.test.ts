import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition } from '../../lambdas/core/task-state-transitions.ts';
import { ALL_TASK_STATES, TaskState, TERMINAL_TASK_STATES } from '../../lambdas/core/task-state.ts';
import { IllegalTransitionError } from '../../lambdas/core/errors.ts';
import { alreadyReached } from '../../lambdas/core/migrations/migration-records.ts';

const T = TaskState;

describe('Task state transitions', () => {
  it.each([
    [T.MIGRATION_STARTING, T.MIGRATION_IN_PROGRESS],
    [T.MIGRATION_IN_PROGRESS, T.MIGRATION_DRIVER_STARTING],
    [T.MIGRATION_IN_PROGRESS, T.DATA_COPYING_STARTING],
    [T.MIGRATION_DRIVER_IN_PROGRESS, T.DATA_COPYING_STARTING],
    [T.DATA_COPYING_IN_PROGRESS, T.DATA_COPYING_COMPLETED],
    [T.DATA_COPYING_COMPLETED, T.DATA_COPYING_COMPLETING],
    [T.DATA_COPYING_COMPLETING, T.MIGRATION_COMPLETING],
    [T.MIGRATION_COMPLETING, T.MIGRATION_SUCCESS],
    [T.DATA_COPYING_COMPLETED, T.MIGRATION_CANCELLED],
    [T.DATA_COPYING_IN_PROGRESS, T.MIGRATION_ERROR],
    [T.DATA_COPYING_COMPLETING, T.MIGRATION_ERROR],
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    [T.MIGRATION_STARTING, T.MIGRATION_SUCCESS],
    [T.DATA_COPYING_IN_PROGRESS, T.MIGRATION_COMPLETING],
    [T.DATA_COPYING_COMPLETING, T.MIGRATION_CANCELLED],
    [T.MIGRATION_COMPLETING, T.MIGRATION_CANCELLED],
    [T.DATA_COPYING_STARTING, T.MIGRATION_DRIVER_STARTING],
  ])('refuses %s → %s with IllegalTransitionError carrying the ids', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to, { shareId: 's-1', migrationId: 'm-1' })).toThrow(IllegalTransitionError);
    expect(() => assertTransition(from, to, { shareId: 's-1', migrationId: 'm-1' })).toThrow(/share s-1, migration m-1/);
  });

  it('leaves nothing after a terminal state', () => {
    for (const terminal of TERMINAL_TASK_STATES) {
      for (const to of ALL_TASK_STATES) expect(canTransition(terminal, to)).toBe(false);
    }
  });

  it('treats a replayed step as already done, but never a terminal state as past anything', () => {
    expect(alreadyReached(T.DATA_COPYING_COMPLETED, T.DATA_COPYING_STARTING)).toBe(true);
    expect(alreadyReached(T.MIGRATION_COMPLETING, T.DATA_COPYING_COMPLETING)).toBe(true);
    expect(alreadyReached(T.DATA_COPYING_STARTING, T.DATA_COPYING_COMPLETED)).toBe(false);
    expect(alreadyReached(T.MIGRATION_CANCELLED, T.DATA_COPYING_STARTING)).toBe(false);
  });
});
