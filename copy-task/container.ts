import type { CopyProgress, CopyProgressSink } from '../lambdas/core/progress.ts';
import { CopyExitCode } from '../lambdas/core/workflow.ts';
import { CopyAbortedError, CopyFailedError, copyTree, describeLeftOut, nativeStatus, NATIVE_LIMITATIONS, type CopyOptions, type CopySummary, type PassRecordStore } from './engine/index.ts';
import { describeRefusedMetadata } from './engine/refused-metadata.ts';
import { pollForCancel } from './runtime/cancel-poll.ts';
import { exitCodeFor, type ExitCode } from './runtime/exit-codes.ts';
import { CopyJobError, parseCopyJob, type CopyEnv, type CopyJob } from './runtime/job.ts';
import { formatPartitionRange } from './engine/partition-range.ts';
import { createJsonLogger, writeToStdio, type JsonLogger, type LogWriter } from './runtime/log.ts';
import { ProgressRelay } from './runtime/progress-relay.ts';
import { onStopSignal, type SignalSource } from './runtime/signals.ts';

/** What a pass that failed on metadata the destination refuses says to do. */
const LEAVE_OUT_HINT = 'a migration started with preserve_metadata=False leaves out what the destination refuses instead';

export type CopyEngine = (source: string, destination: string, options: CopyOptions) => Promise<CopySummary>;

/** What the container entry needs from outside; all but the sink have defaults, so tests swap any. */
export interface CopyContainerDeps {
  /** Where progress and the outcome go, and where cancellation is learnt. */
  readonly sink: CopyProgressSink;
  /** @default copyTree */
  readonly copy?: CopyEngine;
  /** @default process */
  readonly signals?: SignalSource;
  /** One JSON log line (without newline). @default ERROR lines on stderr, the rest on stdout */
  readonly writeLog?: LogWriter;
  /** How often to ask the sink whether the migration was cancelled. @default 1000 */
  readonly cancelPollMs?: number;
  /** How long a stopped run may take to wind down before the entry stops waiting. @default 1500 */
  readonly stopGraceMs?: number;
  readonly now?: () => Date;
  /**
   * Reads the driver's record named by SMIG_SOURCE_MODES into CopyOptions.sourceModes.
   * @default none: a job that names such a record fails as a usage error
   */
  readonly loadSourceModes?: (file: string) => Promise<ReadonlyMap<string, number>>;
  /**
   * Where the engine keeps its record of the migration's (or partition's) last complete pass, which the
   * next task finds on any machine (a container keeps no state). @default none: every pass reads every xattr
   */
  readonly passRecords?: PassRecordStore;
}

/**
 * The copy task's container entry (an ECS/Fargate one-shot task, or the local runtime's child
 * process): reads its job from the environment (CopyTaskEnv), copies, reports progress and the
 * outcome to the sink, and returns the exit code. SIGTERM/SIGINT and a cancel request stop the copy
 * (CANCELLED, within about two seconds of SIGTERM); a bad environment is USAGE; a failed copy FAILED.
 */
export async function runCopyContainer(env: CopyEnv, deps: CopyContainerDeps): Promise<ExitCode> {
  const writeLog = deps.writeLog ?? writeToStdio;
  const baseLog = createJsonLogger(writeLog, { service: 'smig-copy' }, deps.now);
  let job: CopyJob;
  try {
    job = parseCopyJob(env);
  } catch (error) {
    return reportInvalidJob(error, deps.sink, writeLog, deps.now);
  }
  const log = createJsonLogger(writeLog, { service: 'smig-copy', migration_id: job.migrationId, pass: job.pass }, deps.now);
  return runJob(job, deps, log).catch((error: unknown) => {
    baseLog.error('copy task crashed', { migration_id: job.migrationId, error: error instanceof Error ? error : String(error) });
    return CopyExitCode.FAILED;
  });
}

async function runJob(job: CopyJob, deps: CopyContainerDeps, log: JsonLogger): Promise<ExitCode> {
  const { sink } = deps;
  log.info('copy starting', {
    source: job.source, destination: job.destination, verify: job.verify, verify_from: job.verifyFrom, preserve_metadata: job.preserveMetadata,
    ...(job.partition ? { partition: formatPartitionRange(job.partition) } : {}),
  });
  if (!deps.copy && !nativeStatus.loaded) {
    log.warn('native addon not loaded: this copy will not be faithful', { reason: nativeStatus.reason, limitations: NATIVE_LIMITATIONS });
  }
  const controller = new AbortController();
  const stopListening = onStopSignal(deps.signals ?? process, (signal) => {
    log.warn('stop signal received, stopping the copy', { signal });
    controller.abort(signal);
  });
  const cancelPoll = pollForCancel(
    () => sink.cancelRequested(),
    deps.cancelPollMs ?? 1000,
    () => {
      log.warn('cancel requested, stopping the copy');
      controller.abort('cancel requested');
    },
    (error) => log.warn('could not check for a cancel request', { error }),
  );
  const relay = new ProgressRelay(
    (progress) => sink.report(progress),
    (error) => log.warn('could not report progress', { error }),
  );
  let phase: string | undefined;
  const onProgress = (progress: CopyProgress): void => {
    relay.push(progress);
    if (progress.phase !== phase) log.info(`phase ${progress.phase}`, { progress });
    phase = progress.phase;
  };

  try {
    const copy = deps.copy ?? copyTree;
    if (job.sourceModes && !deps.loadSourceModes) throw new CopyJobError(['SMIG_SOURCE_MODES is set but this build cannot read it'], job);
    const sourceModes = job.sourceModes && deps.loadSourceModes ? await deps.loadSourceModes(job.sourceModes) : undefined;
    const run = copy(job.source, job.destination, {
      // A pass is recorded as done, and the next step may run elsewhere or delete the source: what it wrote must be on disk.
      pass: job.pass, verify: job.verify, verifyFrom: job.verifyFrom, writeBack: 'pass', signal: controller.signal, onProgress, sourceModes,
      preserveMetadata: job.preserveMetadata,
      ...(job.bytesPerSecond ? { bytesPerSecond: job.bytesPerSecond } : {}),
      ...(job.concurrency ? { concurrency: job.concurrency } : {}),
      ...(job.partition ? { partition: job.partition } : {}),
      ...(deps.passRecords ? { passRecords: deps.passRecords } : {}),
    });
    const summary = await settleOrGiveUp(run, controller.signal, deps.stopGraceMs ?? 1500);
    await relay.flush();
    await sink.finished({
      pass: job.pass, files: summary.files, bytes: summary.bytes, seconds: summary.seconds, verified: summary.verified, verification: summary.verification,
    });
    // preserve_metadata=False: what the destination refused is said, never a failure.
    if (summary.metadataLeftOut) log.warn(describeLeftOut(summary.metadataLeftOut), { metadata_left_out: summary.metadataLeftOut });
    log.info('copy finished', { summary });
    return CopyExitCode.OK;
  } catch (error) {
    return await reportError(error, job, sink, relay, log);
  } finally {
    cancelPoll.stop();
    stopListening();
  }
}

async function reportError(error: unknown, job: CopyJob, sink: CopyProgressSink, relay: ProgressRelay, log: JsonLogger): Promise<ExitCode> {
  const code = exitCodeFor(error);
  if (code === CopyExitCode.CANCELLED) {
    // Whoever stopped the task (a cancel, or ECS) owns the migration's state; nothing to report.
    log.warn('copy cancelled', { error: error instanceof Error ? error : String(error) });
    return code;
  }
  const failed = error instanceof CopyFailedError ? error : undefined;
  // The operator's way out, on the migration's record: the same migration without preserve_metadata.
  const refused = job.preserveMetadata && failed !== undefined && describeRefusedMetadata(failed.failures) !== undefined;
  const message = (error instanceof Error ? error.message : String(error)) + (refused ? `; ${LEAVE_OUT_HINT}` : '');
  log.error('copy failed', { error: error instanceof Error ? error : message, failures: failed?.failures.slice(0, 100), summary: failed?.summary });
  await relay.flush();
  try {
    await sink.failed(job.pass, message);
  } catch (sinkError) {
    log.error('could not report the failure', { error: sinkError instanceof Error ? sinkError : String(sinkError) });
  }
  return code;
}

async function reportInvalidJob(error: unknown, sink: CopyProgressSink, writeLog: LogWriter, now?: () => Date): Promise<ExitCode> {
  const known = error instanceof CopyJobError ? error : undefined;
  const log = createJsonLogger(writeLog, { service: 'smig-copy', migration_id: known?.migrationId ?? null }, now);
  log.error('invalid copy job', { error: error instanceof Error ? error : String(error), problems: known?.problems });
  if (known?.migrationId && known.pass) {
    await sink.failed(known.pass, known.message).catch((sinkError: unknown) => {
      log.error('could not report the failure', { error: sinkError instanceof Error ? sinkError : String(sinkError) });
    });
  }
  return CopyExitCode.USAGE;
}

/**
 * The run's result; but once `signal` aborts, waits at most `graceMs` for the run to wind down and
 * then rejects with CopyAbortedError regardless, so a stop is honoured in bounded time.
 */
function settleOrGiveUp<T>(run: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(() => reject(new CopyAbortedError(`${String(signal.reason)}; the copy did not stop within ${graceMs} ms`)), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    run.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}
