import { isAbsolute, normalize } from 'node:path';
import { PurgeTaskEnv } from '../../lambdas/core/workflow.ts';

export type PurgeEnv = Readonly<Record<string, string | undefined>>;

/** One purge task's job, as the workflow hands it over in the container environment (PurgeTaskEnv). */
export interface PurgeJob {
  /** Where the file system's root is mounted. */
  readonly root: string;
  /** The folder to remove, relative to the root: `shares/share-<instance id>`. */
  readonly folder: string;
  readonly instanceId?: string;
}

/** The environment does not describe a job (exit USAGE). */
export class PurgeJobError extends Error {
  override readonly name = 'PurgeJobError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid purge job: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** The job names something that is not a driver-made instance folder (exit REFUSED): nothing is touched. */
export class PurgeRefusedError extends Error {
  override readonly name = 'PurgeRefusedError';
}

/**
 * What a driver makes, and so the only thing a purge may remove: `shares/share-<id>`, the id of the
 * characters instance folders are named with (lambdas/drivers/efs/naming.ts), not starting with a dot.
 */
const INSTANCE_FOLDER = /^shares\/share-([A-Za-z0-9_-][A-Za-z0-9_.-]*)$/;

/** Reads and checks the job: PurgeJobError for a missing or malformed value, PurgeRefusedError for a folder a driver never made. */
export function parsePurgeJob(env: PurgeEnv): PurgeJob {
  const problems: string[] = [];
  const root = env[PurgeTaskEnv.ROOT]?.trim();
  const folder = env[PurgeTaskEnv.FOLDER]?.trim();
  const instanceId = env[PurgeTaskEnv.INSTANCE_ID]?.trim() || undefined;
  if (!root) problems.push(`${PurgeTaskEnv.ROOT} is required`);
  else if (!isAbsolute(root)) problems.push(`${PurgeTaskEnv.ROOT} must be an absolute path, got '${root}'`);
  else if (normalize(root) === '/') problems.push(`${PurgeTaskEnv.ROOT} must be where a file system is mounted, not '/'`);
  if (!folder) problems.push(`${PurgeTaskEnv.FOLDER} is required`);
  if (problems.length > 0) throw new PurgeJobError(problems);
  const match = INSTANCE_FOLDER.exec(folder!);
  if (!match) throw new PurgeRefusedError(`${PurgeTaskEnv.FOLDER} '${folder}' is not an instance folder a driver makes (shares/share-<id>): nothing was removed`);
  if (instanceId !== undefined && match[1] !== instanceId) {
    throw new PurgeRefusedError(`${PurgeTaskEnv.FOLDER} '${folder}' is not the folder of instance ${instanceId}: nothing was removed`);
  }
  return { root: normalize(root!), folder: folder!, ...(instanceId ? { instanceId } : {}) };
}
