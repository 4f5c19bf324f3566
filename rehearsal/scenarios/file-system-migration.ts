/**
 * File-system shares (each share its own EFS file system, with mount targets in the backend's subnets),
 * moved from the Regional pool to the One Zone pool of a file-system backend through the API: once by
 * the host-assisted copy (force_host_assisted_migration), once by EFS replication (driver-assisted,
 * played by rehearsal/efs/efs-replication.ts since moto serves no replication), each to
 * migration_success with the data equal and the source file system gone.
 */
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import type { ManilaClient } from '../../local/manila-client.ts';
import type { Rehearsal } from '../rehearsal.ts';
import { check, waitFor, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare, shareFolder, type TreeWithOwners } from './share-data.ts';

interface FileSystemShare {
  readonly id: string;
  readonly fileSystemId: string;
  readonly written: TreeWithOwners;
}

async function fileSystemShare(rehearsal: Rehearsal, client: ManilaClient, name: string): Promise<FileSystemShare> {
  const { hosts } = rehearsal.backends;
  await client.request('POST', '/types', { share_type: { name: 'fs-dedicated', extra_specs: { driver_handles_share_servers: 'True' } } });
  const network = (await client.expect(200, 'POST', '/share-networks', { share_network: { name: `${name}-net` } })).share_network;
  const created = (await client.expect(200, 'POST', '/shares', {
    share: { share_proto: 'NFS', size: 1, name, share_type: 'fs-dedicated', share_network_id: network.id, scheduler_hints: { only_host: hosts.fileSystemRegional } },
  })).share;
  const share = await waitFor('the share to be available', async () => {
    const shown = await client.share(created.id);
    return shown.status === 'available' ? shown : undefined;
  });
  check(share.host === hosts.fileSystemRegional, `the share was placed on ${share.host}`);
  const locations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
  const folder = await shareFolder(rehearsal, locations);
  await fillShare(folder);
  return { id: share.id, fileSystemId: /^(fs-[0-9a-f]+)/.exec(locations[0]!.path)![1]!, written: await describeShare(folder) };
}

async function checkMoved(rehearsal: Rehearsal, client: ManilaClient, share: FileSystemShare): Promise<string> {
  const done = await client.share(share.id);
  check(done.host === rehearsal.backends.hosts.fileSystemOneZone, `after the migration the share is on ${done.host}`);
  const locations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
  checkSameTree(share.written, await describeShare(await shareFolder(rehearsal, locations)), 'the destination file system');
  const remaining = (await new EFSClient(rehearsal.admin).send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
  check(!remaining.some((fileSystem) => fileSystem.FileSystemId === share.fileSystemId), `the source file system ${share.fileSystemId} still exists after migration_success`);
  const tagged = remaining.filter((fileSystem) => fileSystem.Tags?.some((tag) => tag.Key === 'smig:share-id' && tag.Value === share.id));
  check(tagged.length === 1, `${tagged.length} file systems carry the share's tag, expected only the destination: ${tagged.map((fileSystem) => fileSystem.FileSystemId).join(', ')}`);
  return locations[0]!.path;
}

async function untilSuccess(client: ManilaClient, shareId: string): Promise<void> {
  await waitFor('migration_success', async () => {
    const shown = await client.share(shareId);
    if (shown.task_state === 'migration_error') throw new Error(`migration_error: ${JSON.stringify((await client.migrations(shareId)).at(-1)?.error)}`);
    return shown.task_state === 'migration_success' ? true : undefined;
  }, 150_000);
}

export const fileSystemHostAssisted: Scenario = {
  name: 'file-system',
  title: 'file-system share, Regional to One Zone, host-assisted: a new file system with its mount targets, data and owners copied, the source deleted',
  async run({ rehearsal, client, note }) {
    const share = await fileSystemShare(rehearsal, client, 'dedicated');
    const started = await client.startMigration(share.id, rehearsal.backends.hosts.fileSystemOneZone, { auto_complete: true, force_host_assisted_migration: true });
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    await untilSuccess(client, share.id);
    const migration = (await client.migrations(share.id)).at(-1);
    check(migration.mechanism === 'host_assisted', `the migration ran ${migration.mechanism}`);
    note(`migration_success: ${Object.keys(share.written).length} entries equal on ${await checkMoved(rehearsal, client, share)}; source ${share.fileSystemId} deleted`);
  },
};

export const fileSystemReplication: Scenario = {
  name: 'replication',
  title: 'file-system share, Regional to One Zone, driver-assisted by EFS replication: phase 1, migration_complete, the switch, the source deleted',
  async run({ rehearsal, client, note }) {
    const share = await fileSystemShare(rehearsal, client, 'replicated');
    const started = await client.startMigration(share.id, rehearsal.backends.hosts.fileSystemOneZone);
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    await waitFor('migration_driver_phase1_done', async () => {
      const shown = await client.share(share.id);
      if (shown.task_state === 'migration_error') throw new Error(`migration_error: ${JSON.stringify((await client.migrations(share.id)).at(-1)?.error)}`);
      return shown.task_state === 'migration_driver_phase1_done' ? true : undefined;
    }, 120_000);
    const completed = await client.action(share.id, { migration_complete: null });
    check(completed.status === 202, `migration_complete answered ${completed.status}: ${JSON.stringify(completed.body)}`);
    await untilSuccess(client, share.id);
    const migration = (await client.migrations(share.id)).at(-1);
    check(migration.mechanism === 'driver_assisted', `the migration ran ${migration.mechanism}: ${migration.mechanism_reason}`);
    note(`migration_success by replication: ${Object.keys(share.written).length} entries equal on ${await checkMoved(rehearsal, client, share)}; source ${share.fileSystemId} deleted`);
  },
};
