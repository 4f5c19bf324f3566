import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { metadataAtRisk } from '../../../lambdas/core/migrations/guarantees.ts';
import { ACCESS_POINT_BACKEND, FILE_SYSTEM_BACKEND, fileSystem, makeDriver } from './fixtures.ts';

const efs = mockClient(EFSClient);

/**
 * What an EFS pool says it keeps of a share's metadata, which preserve_metadata=True is checked
 * against: EFS stores modes, owners and times but no extended attributes and no POSIX ACLs, and an
 * access point with a POSIX user owns everything written through it.
 */
describe('Class: EfsDriver', () => {
  beforeEach(() => {
    efs.reset();
    efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
  });

  describe('Method: listPools (metadata)', () => {
    it.each([
      ['an access-point pool', ACCESS_POINT_BACKEND, { metadata_preserved: ['modes', 'owners', 'times'] }],
      ['an access-point pool whose POSIX user is root', { ...ACCESS_POINT_BACKEND, posix_user: { uid: 0, gid: 0 } }, { metadata_preserved: ['modes', 'owners', 'times'] }],
      ['a file-system pool', FILE_SYSTEM_BACKEND, { metadata_preserved: ['modes', 'owners', 'times'] }],
    ])('%s keeps modes, owners and times, and no extended attributes or ACLs', async (_, config, expected) => {
      // Prepare
      const driver = makeDriver(config);

      // Act
      const [pool] = await driver.listPools();

      // Assess
      expect(pool).toMatchObject(expected);
      expect(pool).not.toHaveProperty('metadata_forced_owner');
    });

    it('an access-point pool with a POSIX user keeps no owners, and says which one it gives everything', async () => {
      // Prepare
      const driver = makeDriver({ ...ACCESS_POINT_BACKEND, root_directory: { owner_uid: 1000, owner_gid: 1001 }, posix_user: { uid: 1000, gid: 1001, secondary_gids: [5] } });

      // Act
      const [pool] = await driver.listPools();

      // Assess
      expect(pool).toMatchObject({ metadata_preserved: ['modes', 'times'], metadata_forced_owner: '1000:1001' });
    });
  });

  describe('preserve_metadata=True against what the pools report', () => {
    it('refuses owners into an access point with a POSIX user, leaves extended attributes and ACLs to the copy', async () => {
      // Prepare
      const [plain] = await makeDriver(ACCESS_POINT_BACKEND).listPools();
      const [forced] = await makeDriver({ ...ACCESS_POINT_BACKEND, root_directory: { owner_uid: 1000, owner_gid: 1000 }, posix_user: { uid: 1000, gid: 1000 } }).listPools();

      // Act
      const fromAnywhere = metadataAtRisk(undefined, plain!);
      const intoForced = metadataAtRisk(plain, forced!);
      const betweenForced = metadataAtRisk(forced, forced!);

      // Assess
      expect(fromAnywhere.refused).toEqual([]);
      expect(fromAnywhere.contentDecides.map((loss) => loss.kind)).toEqual(['xattrs', 'acls']);
      expect(intoForced.refused.map((loss) => loss.kind)).toEqual(['owners']);
      expect(betweenForced).toEqual({ refused: [], contentDecides: [] });
    });
  });
});
