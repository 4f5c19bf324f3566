/**
 * How long a migration may take, and how the workflow's loops stay far from Step Functions' limit of
 * 25,000 history events per execution, however long the migration lasts (docs/long-migrations.md).
 * Part of the workflow's contract (re-exported by workflow.ts): the CDK definition reads these too.
 */

/**
 * The shortest refresh_interval: a refresh is a whole bulk pass (on Fargate, a task that starts in about a
 * minute and walks the whole tree), so a shorter interval could not be honoured; it would only fill the
 * execution's history.
 */
export const MIN_REFRESH_INTERVAL_SECONDS = 60;

/**
 * How the driver-assisted loop polls the driver (Manila's migration_continue): FIRST_SECONDS after the
 * start, each wait twice the one before, up to MAX_SECONDS. A replication of 30 days is then about 8,700
 * polls, not 518,000; with the handover (HANDOVER_AFTER_CYCLES) no execution holds more than a bounded part of them.
 */
export const DRIVER_POLL = {
  FIRST_SECONDS: 5,
  MAX_SECONDS: 300,
} as const;

/** The wait before the next driver poll, after one of `previous` seconds (none yet: the first). */
export function nextDriverPollSeconds(previous: number | undefined): number {
  if (previous === undefined || !Number.isFinite(previous) || previous < DRIVER_POLL.FIRST_SECONDS) return DRIVER_POLL.FIRST_SECONDS;
  return Math.min(DRIVER_POLL.MAX_SECONDS, previous * 2);
}

/**
 * Loop iterations (driver polls, timed-out waits for migration_complete with their refresh copies) one
 * execution makes before it starts a new execution of the same state machine that resumes where it is,
 * and ends. Step Functions fails an execution at 25,000 history events, outside any Catch; one driver poll
 * costs 9 events, and about 110 if every retry it has is spent (a driver not ready for half an hour at each
 * poll), so 100 iterations keep an execution far under the limit however long the migration lasts
 * (test/cdk/execution-history.test.ts counts them). At the longest poll interval that is a new execution
 * about every 8 hours; a handover costs about 15 events.
 */
export const HANDOVER_AFTER_CYCLES = 100;

/**
 * TimeoutSeconds of one copy pass, from the share's size (prepare destination sets it): the size at a
 * conservative FLOOR_BYTES_PER_SECOND (a tenth of the README's 100 MiB/s per task), never less than
 * FLOOR_SECONDS (a small share's pass still lists, copies and verifies every entry) nor more than
 * CEILING_SECONDS: three weeks, under what a Node timer (and so the local runtime) can wait, and above the
 * 12 days a 100 TiB share takes at 100 MiB/s; a longer pass is better split (partitioned copy).
 */
export const COPY_PASS_TIMEOUT = {
  FLOOR_SECONDS: 6 * 3600,
  CEILING_SECONDS: 21 * 86_400,
  FLOOR_BYTES_PER_SECOND: 10 * 1024 * 1024,
} as const;

/** How long one copy pass of a share of `sizeGiB` may run (COPY_PASS_TIMEOUT). */
export function copyPassTimeoutSeconds(sizeGiB: number): number {
  const bytes = Math.max(0, Number.isFinite(sizeGiB) ? sizeGiB : 0) * 1024 ** 3;
  const seconds = Math.ceil(bytes / COPY_PASS_TIMEOUT.FLOOR_BYTES_PER_SECOND);
  return Math.min(COPY_PASS_TIMEOUT.CEILING_SECONDS, Math.max(COPY_PASS_TIMEOUT.FLOOR_SECONDS, seconds));
}

/**
 * How a copy pass that the platform stopped (Spot interruption, a failed start or EFS mount, a retired
 * host: cdk/lib/workflow-copy-faults.ts) is run again: after WAIT_SECONDS[n] for the n-th fault in a row
 * (30 s, then 1, 2, 5, 10 and 15 minutes), MAX_ATTEMPTS times in a row (about three hours of faults). Past
 * that ladder the pass does not give up: an infrastructure fault never sends a migration to cleanup, which
 * would delete the destination and throw the copied data away (issue 15, item 3). It waits the fault out
 * PARK_SECONDS between tries, indefinitely, its wait recorded on the migration (`copy_fault`) and answered at
 * once by migration_cancel, until the platform lets a task run or the operator cancels. PARK_SECONDS is 30
 * minutes: an outage that outlived three hours of tries is a regional or quota matter measured in hours,
 * and a try costs a task start; each wait is one loop cycle, so the waiting hands over to a new execution
 * every HANDOVER_AFTER_CYCLES waits (about two days). Index 0 of WAIT_SECONDS is unused (a count starts at 1).
 */
export const COPY_FAULT_RETRY = {
  MAX_ATTEMPTS: 15,
  WAIT_SECONDS: [0, 30, 60, 120, 300, 600, ...Array.from({ length: 10 }, () => 900)],
  PARK_SECONDS: 1800,
} as const;
