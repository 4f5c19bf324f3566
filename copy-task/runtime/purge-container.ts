import { PurgeExitCode } from '../../lambdas/core/workflow.ts';
import { createJsonLogger, writeToStdio, type LogWriter } from './log.ts';
import { parsePurgeJob, PurgeJobError, PurgeRefusedError, type PurgeEnv, type PurgeJob } from './purge-job.ts';
import { PurgeAbortedError, purgeInstanceFolder } from './purge-tree.ts';
import { onStopSignal, type SignalSource } from './signals.ts';

export type PurgeExitCode = (typeof PurgeExitCode)[keyof typeof PurgeExitCode];

export interface PurgeContainerDeps {
  /** @default process */
  readonly signals?: SignalSource;
  /** One JSON log line (without newline). @default ERROR lines on stderr, the rest on stdout */
  readonly writeLog?: LogWriter;
  readonly now?: () => Date;
}

/**
 * The purge task's container entry (an ECS/Fargate one-shot task with a file system's root mounted, or the
 * local runtime's child process): reads its job from the environment (PurgeTaskEnv), removes the deleted
 * instance's folder, and returns the exit code: OK (removed, or already gone), USAGE (no job), REFUSED (not
 * a driver-made instance folder, or a link: nothing touched), CANCELLED (SIGTERM/SIGINT: stops between
 * entries; running it again finishes), FAILED (anything else). Reports nothing but its logs and exit code:
 * the workflow's planner records the outcome.
 */
export async function runPurgeContainer(env: PurgeEnv, deps: PurgeContainerDeps = {}): Promise<PurgeExitCode> {
  const writeLog = deps.writeLog ?? writeToStdio;
  let job: PurgeJob;
  try {
    job = parsePurgeJob(env);
  } catch (error) {
    const log = createJsonLogger(writeLog, { service: 'smig-purge' }, deps.now);
    log.error(error instanceof PurgeRefusedError ? 'purge refused' : 'invalid purge job', {
      error: error instanceof Error ? error : String(error),
      problems: error instanceof PurgeJobError ? error.problems : undefined,
    });
    return error instanceof PurgeRefusedError ? PurgeExitCode.REFUSED : PurgeExitCode.USAGE;
  }
  const log = createJsonLogger(writeLog, { service: 'smig-purge', instance_id: job.instanceId ?? null, root: job.root, folder: job.folder }, deps.now);
  const controller = new AbortController();
  const stopListening = onStopSignal(deps.signals ?? process, (signal) => {
    log.warn('stop signal received, stopping the purge', { signal });
    controller.abort(signal);
  });
  log.info('purge starting');
  try {
    const outcome = await purgeInstanceFolder(job, { signal: controller.signal, onProgress: (removed) => log.info('purging', { removed }) });
    log.info(outcome.alreadyGone ? 'nothing to purge: the folder is not there' : 'purge finished', { removed: outcome.removed });
    return PurgeExitCode.OK;
  } catch (error) {
    const code = error instanceof PurgeAbortedError ? PurgeExitCode.CANCELLED : error instanceof PurgeRefusedError ? PurgeExitCode.REFUSED : PurgeExitCode.FAILED;
    const message = code === PurgeExitCode.CANCELLED ? 'purge stopped' : code === PurgeExitCode.REFUSED ? 'purge refused' : 'purge failed';
    (code === PurgeExitCode.CANCELLED ? log.warn : log.error)(message, { error: error instanceof Error ? error : String(error) });
    return code;
  } finally {
    stopListening();
  }
}
