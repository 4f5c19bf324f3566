import { isAbsolute, normalize } from 'node:path';
import type { CopyPass } from '../../lambdas/core/model.ts';
import { CopyTaskEnv } from '../../lambdas/core/workflow.ts';
import type { VerifyFrom } from '../engine/index.ts';
import { parsePartitionRange, PartitionRangeError, type PartitionRange } from '../engine/partition-range.ts';
import { CopyUsageError } from './exit-codes.ts';

export type CopyEnv = Readonly<Record<string, string | undefined>>;

/** One copy task's job, as the workflow hands it over in the container environment (CopyTaskEnv). */
export interface CopyJob {
  readonly migrationId: string;
  readonly source: string;
  readonly destination: string;
  readonly pass: CopyPass;
  /** SMIG_VERIFY; defaults to true for the final pass and false for the bulk pass. */
  readonly verify: boolean;
  /**
   * Where copies are read back from when verifying: storage for the final pass, the copy the share is
   * switched over to (on EFS, the server's answer rather than the task's NFS client cache).
   */
  readonly verifyFrom: VerifyFrom;
  /** SMIG_SOURCE_MODES: the driver's record of the source's real modes while it is read-only, if any. */
  readonly sourceModes?: string;
  /** SMIG_COPY_BYTES_PER_SECOND: a bandwidth limit on reads from the source. */
  readonly bytesPerSecond?: number;
  /** SMIG_COPY_CONCURRENCY: the engine's operations in flight (a migration's copy_concurrency). @default the engine's */
  readonly concurrency?: number;
  /**
   * SMIG_PRESERVE_METADATA, the migration's preserve_metadata; true when absent (nothing is left out
   * unless asked). False: what the destination refuses of extended attributes and ACLs is left out.
   */
  readonly preserveMetadata: boolean;
  /**
   * SMIG_PARTITION_FROM / SMIG_PARTITION_TO (base64 of the paths' bytes; either absent: open): the one
   * partition of the tree this task copies (engine/partition-range.ts). Absent: the whole tree.
   */
  readonly partition?: PartitionRange;
}

/** The environment does not describe a job. Carries what could be read, so the failure can still be reported. */
export class CopyJobError extends CopyUsageError {
  override readonly name = 'CopyJobError';
  readonly problems: readonly string[];
  readonly migrationId?: string;
  readonly pass?: CopyPass;

  constructor(problems: readonly string[], known: { migrationId?: string; pass?: CopyPass }) {
    super(`invalid copy job: ${problems.join('; ')}`);
    this.problems = problems;
    this.migrationId = known.migrationId;
    this.pass = known.pass;
  }
}

/** The pass a failure is said under when the job itself cannot be read: SMIG_PASS if it says final, else bulk. */
export function passNamedIn(env: CopyEnv): CopyPass {
  return env[CopyTaskEnv.PASS]?.trim() === 'final' ? 'final' : 'bulk';
}

const MIGRATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Reads and checks the job; throws CopyJobError listing every problem at once. */
export function parseCopyJob(env: CopyEnv): CopyJob {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value || undefined;
  };

  const migrationId = read(CopyTaskEnv.MIGRATION_ID);
  if (migrationId !== undefined && !MIGRATION_ID.test(migrationId)) {
    problems.push(`${CopyTaskEnv.MIGRATION_ID} must be 1-128 letters, digits, '.', '_', ':' or '-'`);
  }
  const source = readPath(read(CopyTaskEnv.SOURCE), CopyTaskEnv.SOURCE, problems);
  const destination = readPath(read(CopyTaskEnv.DESTINATION), CopyTaskEnv.DESTINATION, problems);
  if (source !== undefined && source === destination) problems.push(`${CopyTaskEnv.SOURCE} and ${CopyTaskEnv.DESTINATION} must differ`);

  const passText = read(CopyTaskEnv.PASS);
  const pass: CopyPass | undefined = passText === 'bulk' || passText === 'final' ? passText : undefined;
  if (passText !== undefined && pass === undefined) problems.push(`${CopyTaskEnv.PASS} must be bulk or final, got '${passText}'`);

  const verifyText = env[CopyTaskEnv.VERIFY]?.trim().toLowerCase() || undefined;
  if (verifyText !== undefined && verifyText !== 'true' && verifyText !== 'false') {
    problems.push(`${CopyTaskEnv.VERIFY} must be true or false, got '${verifyText}'`);
  }

  const preserveText = env[CopyTaskEnv.PRESERVE_METADATA]?.trim().toLowerCase() || undefined;
  if (preserveText !== undefined && preserveText !== 'true' && preserveText !== 'false') {
    problems.push(`${CopyTaskEnv.PRESERVE_METADATA} must be true or false, got '${preserveText}'`);
  }

  const limitText = env[CopyTaskEnv.BYTES_PER_SECOND]?.trim() || undefined;
  const bytesPerSecond = limitText === undefined ? undefined : Number(limitText);
  if (bytesPerSecond !== undefined && !(Number.isInteger(bytesPerSecond) && bytesPerSecond > 0)) {
    problems.push(`${CopyTaskEnv.BYTES_PER_SECOND} must be a whole number of bytes per second, got '${limitText}'`);
  }
  const concurrencyText = env[CopyTaskEnv.CONCURRENCY]?.trim() || undefined;
  const concurrency = concurrencyText === undefined ? undefined : Number(concurrencyText);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1024)) {
    problems.push(`${CopyTaskEnv.CONCURRENCY} must be a whole number from 1 to 1024, got '${concurrencyText}'`);
  }
  const sourceModes = readPath(env[CopyTaskEnv.SOURCE_MODES]?.trim() || undefined, CopyTaskEnv.SOURCE_MODES, problems);
  const partition = readPartition(env, problems);

  const known = { migrationId: migrationId && MIGRATION_ID.test(migrationId) ? migrationId : undefined, pass };
  if (problems.length > 0 || !known.migrationId || !source || !destination || !pass) throw new CopyJobError(problems, known);
  return {
    migrationId: known.migrationId, source, destination, pass, verify: verifyText ? verifyText === 'true' : pass === 'final',
    verifyFrom: pass === 'final' ? 'storage' : 'cache',
    preserveMetadata: preserveText !== 'false',
    ...(sourceModes ? { sourceModes } : {}),
    ...(bytesPerSecond ? { bytesPerSecond } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(partition ? { partition } : {}),
  };
}

function readPartition(env: CopyEnv, problems: string[]): PartitionRange | undefined {
  const from = env[CopyTaskEnv.PARTITION_FROM]?.trim() || undefined;
  const to = env[CopyTaskEnv.PARTITION_TO]?.trim() || undefined;
  try {
    return parsePartitionRange({ ...(from ? { from } : {}), ...(to ? { to } : {}) });
  } catch (error) {
    if (!(error instanceof PartitionRangeError)) throw error;
    problems.push(`${CopyTaskEnv.PARTITION_FROM}/${CopyTaskEnv.PARTITION_TO}: ${error.message}`);
    return undefined;
  }
}

function readPath(value: string | undefined, name: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!isAbsolute(value)) {
    problems.push(`${name} must be an absolute path, got '${value}'`);
    return undefined;
  }
  return normalize(value);
}
