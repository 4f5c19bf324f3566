import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import { ShareShrinkingPossibleDataLossError } from '../../../lambdas/core/shares/resize-errors.ts';
import { ACCESS_POINT_BACKEND, accessPoint, FILE_SYSTEM_BACKEND, fileSystem, instance, makeDriver, SHARE_ID, TOKEN } from './fixtures.ts';

const efs = mockClient(EFSClient);
const GIB = 1024 ** 3;

/**
 * extendInstance / shrinkInstance (parts/instance-sizes.ts): EFS is elastic, so nothing is changed on AWS;
 * a file-system instance's shrink is refused when its metered size exceeds the new size. EFS's answers are
 * recorded ones (no emulator meters a file system).
 */
describe('Class: EfsDriver', () => {
  beforeEach(() => {
    efs.reset();
  });

  describe('Method: shrinkInstance', () => {
    const fsInstance = instance({ host: 'efs@dedicated#default' });

    it('refuses a file-system instance holding more than the new size, with the data-loss error and no write', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand, { CreationToken: TOKEN }).resolves({
        FileSystems: [fileSystem({ FileSystemId: 'fs-0dddddddddddddddd', CreationToken: TOKEN, SizeInBytes: { Value: 1.5 * GIB } })],
      });

      // Act
      const refusal = await makeDriver(FILE_SYSTEM_BACKEND).shrinkInstance(fsInstance, 1).catch((err: unknown) => err);

      // Assess
      expect(refusal).toBeInstanceOf(ShareShrinkingPossibleDataLossError);
      expect(refusal).toMatchObject({ shareId: SHARE_ID, message: `Share ${SHARE_ID} could not be shrunk due to possible data loss` });
      expect(efs.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeFileSystemsCommand']);
    });

    it('accepts a file-system instance whose data fits', async () => {
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ CreationToken: TOKEN, SizeInBytes: { Value: 0.5 * GIB } })] });

      await expect(makeDriver(FILE_SYSTEM_BACKEND).shrinkInstance(fsInstance, 1)).resolves.toBeUndefined();
    });

    it('takes an access-point instance as asked (EFS meters no folder), once its access point is found', async () => {
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [accessPoint()] });

      await expect(makeDriver(ACCESS_POINT_BACKEND).shrinkInstance(instance(), 1)).resolves.toBeUndefined();
      expect(efs.commandCalls(DescribeFileSystemsCommand)).toHaveLength(0);
    });
  });

  describe('Method: extendInstance', () => {
    it('changes nothing on AWS, and refuses an instance that does not exist with a DriverError', async () => {
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });

      const refusal = await makeDriver(ACCESS_POINT_BACKEND).extendInstance(instance(), 5).catch((err: unknown) => err);

      expect(refusal).toBeInstanceOf(DriverError);
      expect((refusal as Error).message).toContain('does not exist');
      expect(efs.calls().every((call) => call.args[0].constructor.name.startsWith('Describe'))).toBe(true);
    });
  });
});
