/**
 * migration_cancel while the migration waits for migration_complete: the API answers the task token
 * (states:SendTaskFailure under the API's role), cleanup gives the source back exactly as it was (same
 * data, same rules, writable) and removes the destination access point, whose folder is then purged.
 */
import { DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { check, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare } from './share-data.ts';
import { createAccessPointShare, mountAsClient, untilPurged, untilTaskState } from './shares.ts';

export const cancelMigration: Scenario = {
  name: 'cancel',
  title: 'migration_cancel after phase 1: source unchanged and writable with its rules, destination removed and purged',
  async run({ rehearsal, client, note }) {
    const pair = rehearsal.backends.pairs.cancel;
    const share = await createAccessPointShare(rehearsal, client, pair, 'to-cancel');
    const allowed = await client.action(share.id, { allow_access: { access_type: 'user', access_to: 'cancel-clients', access_level: 'rw' } });
    check(allowed.status === 200, `allow_access answered ${allowed.status}: ${JSON.stringify(allowed.body)}`);
    const application = await mountAsClient(rehearsal, pair.sourceFileSystem, share.accessPoint, 'application');
    await fillShare(application.folder, 12);
    const before = await describeShare(application.folder);
    const policyBefore = JSON.stringify(rehearsal.fileSystemPolicies.policyOf(pair.sourceFileSystem));

    const started = await client.startMigration(share.id, pair.destination);
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    await untilTaskState(client, share.id, ['data_copying_completed'], 180_000);
    const migration = (await client.migrations(share.id)).at(-1);
    const destinationAccessPoints = await new EFSClient(rehearsal.admin).send(new DescribeAccessPointsCommand({ FileSystemId: pair.destinationFileSystem }));
    const destination = destinationAccessPoints.AccessPoints?.find((point) => point.Tags?.some((tag) => tag.Key === 'smig:share-id' && tag.Value === share.id));
    check(destination, 'phase 1 is done but no destination access point carries the share');
    const destinationFolder = await rehearsal.efs.accessPointFolder(destination.AccessPointId!);

    const cancelled = await client.action(share.id, { migration_cancel: null });
    check(cancelled.status === 202, `migration_cancel answered ${cancelled.status}: ${JSON.stringify(cancelled.body)}`);
    const after = await untilTaskState(client, share.id, ['migration_cancelled'], 180_000);
    check(after.status === 'available' && after.host === pair.source, `after the cancel the share is ${after.status} on ${after.host}`);
    checkSameTree(before, await describeShare(application.folder), 'the source after the cancel');
    check(JSON.stringify(rehearsal.fileSystemPolicies.policyOf(pair.sourceFileSystem)) === policyBefore, 'the source file system policy differs from before the migration (read-only left behind, or rules lost)');
    const gone = await new EFSClient(rehearsal.admin).send(new DescribeAccessPointsCommand({ AccessPointId: destination.AccessPointId })).then(() => false, () => true);
    check(gone, `the destination access point ${destination.AccessPointId} still exists after the cancel`);
    await untilPurged(destinationFolder, 'the destination access point\'s folder');
    application.unmount();
    note(`migration ${migration.id} cancelled after phase 1; source ${share.accessPoint} unchanged (${Object.keys(before).length} entries, same policy); destination ${destination.AccessPointId} deleted and purged`);
  },
};
