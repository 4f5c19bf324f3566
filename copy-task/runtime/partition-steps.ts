import { aggregatePartitions, partitionBounds, MAX_PARTITIONS, PLAN_ITEM, type PartitionPlanRecord } from '../../lambdas/core/partitions/partition-records.ts';
import type { PartitionStore } from '../../lambdas/core/partitions/partition-store.ts';
import type { CopyProgressSink } from '../../lambdas/core/progress.ts';
import { CopyExitCode, CopyTaskEnv } from '../../lambdas/core/workflow.ts';
import { decodePartitionPath, PARTITION_FROM_ENV, PARTITION_TO_ENV } from '../engine/partition-range.ts';
import { prepareBoundaries, sealPartitions } from '../engine/partition-seal.ts';
import { planPartitions } from '../partition/plan.ts';
import { exitCodeFor, type ExitCode } from './exit-codes.ts';
import { CopyJobError, parseCopyJob, passNamedIn, type CopyEnv } from './job.ts';
import { createJsonLogger, writeToStdio, type LogWriter } from './log.ts';

/** A partitioned copy's steps around the partitions: `plan` before the first pass, `seal` after each. */
export type PartitionStep = 'plan' | 'seal';

export interface PartitionStepDeps {
  readonly store: PartitionStore;
  /** The migration's sink: the seal records the pass's summary there, as one copy task would. */
  readonly sink: CopyProgressSink;
  readonly loadSourceModes?: (file: string) => Promise<ReadonlyMap<string, number>>;
  /** @default ERROR lines on stderr, the rest on stdout */
  readonly writeLog?: LogWriter;
  readonly now?: () => Date;
}

/**
 * The plan and seal steps of a partitioned copy (issue 15), run by the copy image like a pass (the same
 * environment: source, destination, pass, the migration) with SMIG_PARTITION_STEP set:
 * - plan: surveys the source and cuts it into SMIG_PARTITIONS ranges balanced by bytes and entries
 *   (copy-task/partition/plan.ts), stores the plan (the partitions read their range from it), and makes the
 *   folders on the cuts in the destination, so concurrent partitions never race to make them;
 * - seal: once every partition of the pass is done, gives the folders on the cuts their attributes (no
 *   partition owns them: copy-task/engine/partition-seal.ts) and records the pass's summary on the migration,
 *   summed over the partitions, as one copy task records its own.
 */
export async function runPartitionStep(step: string, env: CopyEnv, deps: PartitionStepDeps): Promise<ExitCode> {
  const writeLog = deps.writeLog ?? writeToStdio;
  const now = deps.now ?? (() => new Date());
  const log = createJsonLogger(writeLog, { service: 'smig-copy', migration_id: env[CopyTaskEnv.MIGRATION_ID] ?? null, partition_step: step }, deps.now);
  try {
    const job = parseCopyJob(env);
    if (step === 'plan') {
      const partitions = Number(env[CopyTaskEnv.PARTITIONS]);
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
        throw new CopyJobError([`${CopyTaskEnv.PARTITIONS} must be a whole number from 1 to ${MAX_PARTITIONS}, got '${env[CopyTaskEnv.PARTITIONS] ?? ''}'`], job);
      }
      const started = now();
      log.info('planning partitions', { source: job.source, partitions });
      const plan = await planPartitions(job.source, { partitions });
      const record: PartitionPlanRecord = {
        migration_id: job.migrationId,
        item: PLAN_ITEM,
        partitions: plan.partitions.length,
        cuts: plan.cuts,
        totals: plan.totals,
        estimates: plan.partitions.map((p) => ({ bytes: p.bytes, entries: p.entries })),
        planned_at: now().toISOString(),
        seconds: (now().getTime() - started.getTime()) / 1000,
      };
      await prepareBoundaries(job.source, job.destination, plan.cuts.map((cut) => decodePartitionPath(cut)));
      await deps.store.putPlan(record);
      log.info('partitions planned', { partitions: record.partitions, totals: record.totals, seconds: record.seconds, largest: largestShare(record) });
      return CopyExitCode.OK;
    }
    if (step === 'seal') {
      const plan = await deps.store.getPlan(job.migrationId);
      if (plan === null) throw new CopyJobError([`migration ${job.migrationId} has no partition plan to seal`], job);
      const sourceModes = job.sourceModes && deps.loadSourceModes ? await deps.loadSourceModes(job.sourceModes) : undefined;
      await sealPartitions(job.source, job.destination, plan.cuts.map((cut) => decodePartitionPath(cut)), { preserveMetadata: job.preserveMetadata, sourceModes });
      const reports = await deps.store.listPartitions(job.migrationId);
      const ofPass = reports.filter((r) => r.pass === job.pass);
      const notDone = plan.partitions - ofPass.filter((r) => r.state === 'done').length;
      if (notDone > 0) throw new Error(`${notDone} of ${plan.partitions} partitions have not finished the ${job.pass} pass`);
      const { progress } = aggregatePartitions(plan, ofPass, job.pass, now());
      const started = Math.min(...ofPass.map((r) => Date.parse(r.started_at)));
      const ended = Math.max(...ofPass.map((r) => Date.parse(r.updated_at)));
      await deps.sink.finished({
        pass: job.pass, files: progress.files_done, bytes: progress.bytes_done, seconds: Math.max(0, (ended - started) / 1000),
        verified: ofPass.every((r) => r.verified === true),
      });
      log.info('partitions sealed', { partitions: plan.partitions, files: progress.files_done, bytes: progress.bytes_done });
      return CopyExitCode.OK;
    }
    throw new CopyJobError([`${CopyTaskEnv.PARTITION_STEP} must be plan or seal, got '${step}'`], job);
  } catch (error) {
    log.error(`partition ${step} failed`, { error: error instanceof Error ? error : String(error), problems: (error as CopyJobError).problems });
    const known = error instanceof CopyJobError ? error : undefined;
    const pass = known?.pass ?? passNamedIn(env);
    await deps.sink.failed(pass, `partition ${step}: ${error instanceof Error ? error.message : String(error)}`).catch(() => undefined);
    return exitCodeFor(error);
  }
}

/**
 * The environment of partition SMIG_PARTITION_INDEX's copy: the job's, plus the range the engine copies
 * (SMIG_PARTITION_FROM / SMIG_PARTITION_TO), read from the stored plan; `beyondPlan` when the plan has
 * fewer partitions than the Map has items (a small tree), and this one has nothing to copy.
 */
export async function partitionCopyEnv(env: CopyEnv, store: PartitionStore): Promise<{ env: CopyEnv; index: number } | { beyondPlan: true; index: number; partitions: number }> {
  const migrationId = env[CopyTaskEnv.MIGRATION_ID]?.trim() ?? '';
  const indexText = env[CopyTaskEnv.PARTITION_INDEX]?.trim() ?? '';
  const index = Number(indexText);
  if (!/^\d+$/.test(indexText) || !Number.isSafeInteger(index)) {
    throw new CopyJobError([`${CopyTaskEnv.PARTITION_INDEX} must be a whole number, got '${indexText}'`], { migrationId });
  }
  const plan = await store.getPlan(migrationId);
  if (plan === null) throw new CopyJobError([`migration ${migrationId} has no partition plan (the plan step runs before the partitions)`], { migrationId });
  // A tree with fewer entries than the partitions asked for is planned in fewer: the Map's last items have nothing to copy.
  if (index >= plan.partitions) return { beyondPlan: true, index, partitions: plan.partitions };
  const bounds = partitionBounds(plan, index);
  const { [PARTITION_FROM_ENV]: _from, [PARTITION_TO_ENV]: _to, ...rest } = env;
  return {
    env: { ...rest, ...(bounds.from !== undefined ? { [PARTITION_FROM_ENV]: bounds.from } : {}), ...(bounds.to !== undefined ? { [PARTITION_TO_ENV]: bounds.to } : {}) },
    index,
  };
}

/** The largest partition's share of the mean, in bytes and entries (the plan's balance, for the log). */
function largestShare(plan: PartitionPlanRecord): { bytes: number; entries: number } {
  const mean = { bytes: plan.totals.bytes / plan.partitions, entries: plan.totals.entries / plan.partitions };
  const ratio = (value: number, of: number) => (of > 0 ? Math.round((value / of) * 100) / 100 : 1);
  return {
    bytes: ratio(Math.max(...plan.estimates.map((e) => e.bytes)), mean.bytes),
    entries: ratio(Math.max(...plan.estimates.map((e) => e.entries)), mean.entries),
  };
}
