/**
 * File-system shares (each share its own EFS file system, with mount targets in the backend's subnets),
 * moved from the Regional pool to the One Zone pool of a file-system backend through the API: once by
 * the host-assisted copy (force_host_assisted_migration), once by EFS replication (driver-assisted,
 * played by rehearsal/efs/efs-replication.ts since moto serves no replication), each to
 * migration_success with the data equal and the source file system gone.
 */
import { DescribeFileSystemsCommand, EFSClient, type FileSystemDescription } from '@aws-sdk/client-efs';
import type { ManilaClient } from '../../local/manila-client.ts';
import type { Rehearsal } from '../rehearsal.ts';
import { check, waitFor, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare, shareFolder, type TreeWithOwners } from './share-data.ts';
import { mountAsClient, untilTaskState } from './shares.ts';

interface FileSystemShare {
  readonly id: string;
  readonly fileSystemId: string;
  readonly written: TreeWithOwners;
}

/** A share on its own file system, written by its application, which then unmounts. */
async function fileSystemShare(rehearsal: Rehearsal, client: ManilaClient, name: string): Promise<FileSystemShare> {
  const { fileSystemRegional } = rehearsal.backends;
  await client.request('POST', '/types', { share_type: { name: 'fs-dedicated', extra_specs: { driver_handles_share_servers: 'True' } } });
  const network = (await client.expect(200, 'POST', '/share-networks', { share_network: { name: `${name}-net` } })).share_network;
  const created = (await client.expect(200, 'POST', '/shares', {
    share: { share_proto: 'NFS', size: 1, name, share_type: 'fs-dedicated', share_network_id: network.id, scheduler_hints: { only_host: fileSystemRegional } },
  })).share;
  const share = await waitFor('the share to be available', async () => {
    const shown = await client.share(created.id);
    return shown.status === 'available' ? shown : undefined;
  });
  check(share.host === fileSystemRegional, `the share was placed on ${share.host}`);
  const locations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
  const fileSystemId = /^(fs-[0-9a-f]+)/.exec(locations[0]!.path)![1]!;
  const application = await mountAsClient(rehearsal, fileSystemId, undefined, 'application');
  await fillShare(application.folder);
  const written = await describeShare(application.folder);
  application.unmount();
  return { id: share.id, fileSystemId, written };
}

async function checkMoved(rehearsal: Rehearsal, client: ManilaClient, share: FileSystemShare): Promise<string> {
  const done = await client.share(share.id);
  check(done.host === rehearsal.backends.fileSystemOneZone, `after the migration the share is on ${done.host}`);
  const locations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
  checkSameTree(share.written, await describeShare(await shareFolder(rehearsal, locations)), 'the destination file system');
  const remaining = await allFileSystems(rehearsal);
  check(!remaining.some((fileSystem) => fileSystem.FileSystemId === share.fileSystemId), `the source file system ${share.fileSystemId} still exists after migration_success`);
  const tagged = remaining.filter((fileSystem) => fileSystem.Tags?.some((tag) => tag.Key === 'smig:share-id' && tag.Value === share.id));
  check(tagged.length === 1, `${tagged.length} file systems carry the share's tag, expected only the destination: ${tagged.map((fileSystem) => fileSystem.FileSystemId).join(', ')}`);
  return locations[0]!.path;
}


async function allFileSystems(rehearsal: Rehearsal): Promise<FileSystemDescription[]> {
  const efs = new EFSClient(rehearsal.admin);
  const all: FileSystemDescription[] = [];
  let marker: string | undefined;
  do {
    const page = await efs.send(new DescribeFileSystemsCommand({ Marker: marker }));
    all.push(...(page.FileSystems ?? []));
    marker = page.NextMarker;
  } while (marker);
  return all;
}

export const fileSystemHostAssisted: Scenario = {
  name: 'file-system',
  title: 'file-system share, Regional to One Zone, host-assisted: a new file system with its mount targets, data and owners copied, the source deleted',
  async run({ rehearsal, client, note }) {
    const share = await fileSystemShare(rehearsal, client, 'dedicated');
    const started = await client.startMigration(share.id, rehearsal.backends.fileSystemOneZone, { auto_complete: true, force_host_assisted_migration: true });
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    // The application unmounted before: the switchover waits for CloudWatch to show a minute without clients.
    await untilTaskState(client, share.id, ['migration_success']);
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
    const started = await client.startMigration(share.id, rehearsal.backends.fileSystemOneZone);
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    await untilTaskState(client, share.id, ['migration_driver_phase1_done']);
    const completed = await client.action(share.id, { migration_complete: null });
    check(completed.status === 202, `migration_complete answered ${completed.status}: ${JSON.stringify(completed.body)}`);
    await untilTaskState(client, share.id, ['migration_success']);
    const migration = (await client.migrations(share.id)).at(-1);
    check(migration.mechanism === 'driver_assisted', `the migration ran ${migration.mechanism}: ${migration.mechanism_reason}`);
    note(`migration_success by replication: ${Object.keys(share.written).length} entries equal on ${await checkMoved(rehearsal, client, share)}; source ${share.fileSystemId} deleted`);
  },
};
