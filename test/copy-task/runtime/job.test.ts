import { describe, expect, it } from 'vitest';
import { CopyJobError, parseCopyJob } from '../../../copy-task/runtime/job.ts';

const valid = {
  SMIG_MIGRATION_ID: 'mig-123',
  SMIG_SOURCE: '/mnt/source',
  SMIG_DESTINATION: '/mnt/destination/',
  SMIG_PASS: 'bulk',
};

describe('Function: parseCopyJob', () => {
  it('reads a job; verify defaults to false for the bulk pass and true for the final pass', () => {
    // Act
    const bulk = parseCopyJob(valid);
    const final = parseCopyJob({ ...valid, SMIG_PASS: 'final' });

    // Assess
    expect(bulk).toEqual({ migrationId: 'mig-123', source: '/mnt/source', destination: '/mnt/destination/', pass: 'bulk', verify: false, verifyFrom: 'cache', preserveMetadata: true });
    expect(final.verify).toBe(true);
  });

  it('reads the final pass\'s copies back from storage (on EFS, the server), a bulk pass\'s from the page cache', () => {
    // Act / Assess
    expect(parseCopyJob({ ...valid, SMIG_PASS: 'final' }).verifyFrom).toBe('storage');
    expect(parseCopyJob({ ...valid, SMIG_VERIFY: 'true' }).verifyFrom).toBe('cache');
  });

  it('takes SMIG_VERIFY when given', () => {
    // Act / Assess
    expect(parseCopyJob({ ...valid, SMIG_VERIFY: 'true' }).verify).toBe(true);
    expect(parseCopyJob({ ...valid, SMIG_PASS: 'final', SMIG_VERIFY: 'false' }).verify).toBe(false);
  });

  it('takes SMIG_PRESERVE_METADATA, preserving metadata when it is absent', () => {
    // Act / Assess
    expect(parseCopyJob(valid).preserveMetadata).toBe(true);
    expect(parseCopyJob({ ...valid, SMIG_PRESERVE_METADATA: 'true' }).preserveMetadata).toBe(true);
    expect(parseCopyJob({ ...valid, SMIG_PRESERVE_METADATA: 'False' }).preserveMetadata).toBe(false);
    expect(() => parseCopyJob({ ...valid, SMIG_PRESERVE_METADATA: 'no' })).toThrow("SMIG_PRESERVE_METADATA must be true or false, got 'no'");
  });

  it('takes SMIG_COPY_CONCURRENCY (a migration\'s copy_concurrency, from its task definition), the engine\'s default when absent', () => {
    // Act / Assess
    expect(parseCopyJob(valid).concurrency).toBeUndefined();
    expect(parseCopyJob({ ...valid, SMIG_COPY_CONCURRENCY: '32' }).concurrency).toBe(32);
    expect(() => parseCopyJob({ ...valid, SMIG_COPY_CONCURRENCY: '0' })).toThrow("SMIG_COPY_CONCURRENCY must be a whole number from 1 to 1024, got '0'");
    expect(() => parseCopyJob({ ...valid, SMIG_COPY_CONCURRENCY: '2000' })).toThrow(/from 1 to 1024/);
  });

  it('lists every problem at once, keeping what it could read', () => {
    // Act
    let error: unknown;
    try {
      parseCopyJob({ SMIG_MIGRATION_ID: 'mig-1', SMIG_SOURCE: 'relative/path', SMIG_PASS: 'final', SMIG_VERIFY: 'yes' });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(CopyJobError);
    const jobError = error as CopyJobError;
    expect(jobError.problems).toEqual([
      "SMIG_SOURCE must be an absolute path, got 'relative/path'",
      'SMIG_DESTINATION is required',
      "SMIG_VERIFY must be true or false, got 'yes'",
    ]);
    expect(jobError).toMatchObject({ migrationId: 'mig-1', pass: 'final' });
  });

  it.each([
    [{ ...valid, SMIG_MIGRATION_ID: '' }, 'SMIG_MIGRATION_ID is required'],
    [{ ...valid, SMIG_MIGRATION_ID: 'has space' }, 'SMIG_MIGRATION_ID must be'],
    [{ ...valid, SMIG_PASS: 'middle' }, 'SMIG_PASS must be bulk or final'],
    [{ ...valid, SMIG_DESTINATION: '/mnt/source' }, 'must differ'],
  ])('rejects %j', (env, message) => {
    // Act / Assess
    expect(() => parseCopyJob(env)).toThrow(message);
  });
});
