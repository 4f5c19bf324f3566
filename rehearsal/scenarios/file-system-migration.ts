/**
 * A file-system share (each share its own EFS file system, mount targets in the backend's subnets) moved
 * from the Regional pool to the One Zone pool of a file-system backend, through the API. The driver first
 * tries EFS replication (driver-assisted): it creates the destination file system and its mount
 * targets, then stops where moto stops serving EFS (UpdateFileSystemProtection and the replication
 * calls are not in moto 5.2), undoes what it made, and the host-assisted copy takes over. So this
 * scenario rehearses the driver-assisted start and its undo as far as the emulator serves them, the
 * fallback, and the file-system mode of the host-assisted path end to end.
 */
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { check, waitFor, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare, shareFolder } from './share-data.ts';

/** EFS calls the driver-assisted path makes that moto 5.2 does not serve. */
export const EFS_CALLS_MOTO_LACKS = [
  'elasticfilesystem:UpdateFileSystemProtection',
  'elasticfilesystem:CreateReplicationConfiguration',
  'elasticfilesystem:DescribeReplicationConfigurations',
  'elasticfilesystem:DeleteReplicationConfiguration',
] as const;

export const fileSystemMigration: Scenario = {
  name: 'file-system',
  title: 'file-system share, Regional to One Zone: replication tried as far as moto serves it, undone, then host-assisted to migration_success',
  async run({ rehearsal, client, note }) {
    const { hosts } = rehearsal.backends;
    await client.expect(200, 'POST', '/types', { share_type: { name: 'fs-dedicated', extra_specs: { driver_handles_share_servers: 'True' } } });
    const network = (await client.expect(200, 'POST', '/share-networks', { share_network: { name: 'rehearsal-net' } })).share_network;
    const created = (await client.expect(200, 'POST', '/shares', {
      share: { share_proto: 'NFS', size: 1, name: 'dedicated', share_type: 'fs-dedicated', share_network_id: network.id, scheduler_hints: { only_host: hosts.fileSystemRegional } },
    })).share;
    const share = await waitFor('the share to be available', async () => {
      const shown = await client.share(created.id);
      return shown.status === 'available' ? shown : undefined;
    });
    check(share.host === hosts.fileSystemRegional, `the share was placed on ${share.host}`);
    const sourceLocations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
    const sourceFolder = await shareFolder(rehearsal, sourceLocations);
    const sourceFileSystem = /^(fs-[0-9a-f]+)/.exec(sourceLocations[0]!.path)![1]!;
    await fillShare(sourceFolder);
    const written = await describeShare(sourceFolder);
    note(`share ${share.id} is file system ${sourceFileSystem}, ${Object.keys(written).length} entries written`);

    const mark = rehearsal.log.mark();
    const started = await client.startMigration(share.id, hosts.fileSystemOneZone, { auto_complete: true });
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    const done = await waitFor('migration_success', async () => {
      const shown = await client.share(share.id);
      if (shown.task_state === 'migration_error') throw new Error(`migration_error: ${JSON.stringify((await client.migrations(share.id)).at(-1)?.error)}`);
      return shown.task_state === 'migration_success' ? shown : undefined;
    }, 150_000);
    check(done.host === hosts.fileSystemOneZone, `after the migration the share is on ${done.host}`);

    const migration = (await client.migrations(share.id)).at(-1);
    check(migration.mechanism === 'host_assisted', `the migration ended ${migration.mechanism}, expected host_assisted after the replication attempt`);
    const calls = rehearsal.log.since(mark).map((call) => call.operation);
    check(calls.includes('elasticfilesystem:CreateFileSystem'), 'the driver-assisted start never created the destination file system');
    const unserved = rehearsal.log.since(mark).filter((call) => (EFS_CALLS_MOTO_LACKS as readonly string[]).includes(call.operation));
    check(unserved.length > 0 && unserved.every((call) => call.allowed), 'the replication calls were not made, or IAM denied them');
    note(`driver-assisted: ${migration.mechanism_reason}`);

    const destinationLocations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
    checkSameTree(written, await describeShare(await shareFolder(rehearsal, destinationLocations)), 'the destination file system');
    const efs = new EFSClient(rehearsal.admin);
    const remaining = (await efs.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
    const sourceGone = !remaining.some((fileSystem) => fileSystem.FileSystemId === sourceFileSystem);
    check(sourceGone, `the source file system ${sourceFileSystem} still exists after migration_success`);
    const leftovers = remaining.filter((fileSystem) => fileSystem.Tags?.some((tag) => tag.Key === 'smig:share-id' && tag.Value === share.id));
    check(leftovers.length === 1, `${leftovers.length} file systems carry the share's tag, expected only the destination: ${leftovers.map((f) => f.FileSystemId).join(', ')}`);
    note(`migration_success: ${Object.keys(written).length} entries equal on ${destinationLocations[0]!.path}; source file system and the replication attempt's destination deleted`);
  },
};
