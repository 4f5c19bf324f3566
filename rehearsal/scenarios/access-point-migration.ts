/**
 * An access-point share moved host-assisted between two file systems of an access-point backend, driven
 * by the unmodified `manila` CLI through API Gateway: share type, share, access rule, migration-start,
 * progress until phase 1 is done, migration-complete. The share's application is still mounted, so the
 * switchover waits and says so in migration-get-progress; the operator confirms with a second
 * migration-complete. Then: the data on the destination equals what the client wrote, the rule is in the
 * destination file system's policy, the source access point is deleted and its folder purged.
 */
import { DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { check, field, waitFor, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare } from './share-data.ts';
import { accessPointOf, mountAsClient, untilPurged, untilTaskState } from './shares.ts';

export const accessPointMigration: Scenario = {
  name: 'access-point',
  title: 'access-point share through the manila CLI: the switchover waits for the mounted client until the operator confirms; data, owners and the rule arrive, the source is purged',
  async run({ rehearsal, client, manila, note }) {
    const pair = rehearsal.backends.pairs.cli;
    await manila('type-create', 'ap-standard', 'false');
    const created = await manila('create', 'NFS', '1', '--name', 'projects', '--share-type', 'ap-standard', '--scheduler-hints', `only_host=${pair.source}`);
    const id = field(created, 'id');
    const share = await waitFor('the share to be available', async () => {
      const shown = await client.share(id);
      return shown.status === 'available' ? shown : undefined;
    });
    check(share.host === pair.source, `the share was placed on ${share.host}, not ${pair.source}`);
    // The clients' IAM role by name: the manila CLI refuses an ARN in a user rule.
    const clientRole = `arn:aws:iam::${rehearsal.stack.environment.account}:role/project-clients`;
    await manila('access-allow', id, 'user', 'project-clients', '--access-level', 'rw');
    await waitFor('the access rule to be active', async () => ((await manila('access-list', id)).includes('active') ? true : undefined));
    // The lists, through the shares table's indexes under the API function's role.
    const listed = await manila('list', '--sort-key', 'name', '--sort-dir', 'asc');
    check(listed.includes(id), `manila list does not show the share ${id}:\n${listed}`);
    await manila('snapshot-list');

    const sourceAccessPoint = await accessPointOf(client, id);
    const application = await mountAsClient(rehearsal, pair.sourceFileSystem, sourceAccessPoint, 'application');
    await fillShare(application.folder);
    const written = await describeShare(application.folder);
    note(`share ${id} on ${pair.source} (${sourceAccessPoint}), ${Object.keys(written).length} entries written by its application, which stays mounted`);

    await manila('migration-start', id, pair.destination, '--writable', 'True', '--preserve-metadata', 'True', '--preserve-snapshots', 'False', '--nondisruptive', 'False');
    const progress = await waitFor('phase 1 to be done (data_copying_completed)', async () => {
      const shown = await manila('migration-get-progress', id);
      if (field(shown, 'task_state') === 'migration_error') throw new Error(`migration_error: ${shown}`);
      return field(shown, 'task_state') === 'data_copying_completed' ? shown : undefined;
    }, 180_000);
    check(field(progress, 'total_progress') === '100', `phase 1 done at ${field(progress, 'total_progress')}%`);
    await manila('migration-complete', id);
    const waiting = await waitFor('the switchover to report the mounted client', async () => {
      const body = await client.progress(id);
      const switchover = body.details['switchover'] as { status?: string; waiting_for?: string; connections?: number } | undefined;
      return switchover?.status === 'waiting' && (switchover.connections ?? 0) > 0 ? switchover : undefined;
    }, 240_000, 1000);
    note(`switchover waiting: ${JSON.stringify(waiting)}`);
    // The operator unmounts the application and confirms what CloudWatch cannot prove for a shared file system.
    application.unmount();
    await manila('migration-complete', id);
    const done = await untilTaskState(client, id, ['migration_success']);
    check(done.host === pair.destination && done.status === 'available', `after the migration the share is ${done.status} on ${done.host}`);

    const destinationAccessPoint = await accessPointOf(client, id);
    checkSameTree(written, await describeShare(await rehearsal.efs.accessPointFolder(destinationAccessPoint)), 'the destination access point');
    const policy = JSON.stringify(rehearsal.fileSystemPolicies.policyOf(pair.destinationFileSystem) ?? {});
    check(policy.includes(clientRole), `the destination file system's policy does not name the access rule's principal ${clientRole}: ${policy}`);
    const sourceGone = await new EFSClient(rehearsal.admin).send(new DescribeAccessPointsCommand({ AccessPointId: sourceAccessPoint })).then(() => false, () => true);
    check(sourceGone, `the source access point ${sourceAccessPoint} still exists after migration_success`);
    await untilPurged(application.folder, 'the source access point\'s folder');
    note(`migration_success: ${Object.keys(written).length} entries equal on ${pair.destination}, the rule in its file system policy; source access point deleted and its folder purged`);
  },
};
