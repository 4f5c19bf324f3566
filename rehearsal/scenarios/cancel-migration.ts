/**
 * migration_cancel while the migration waits for migration_complete: the API answers the task token
 * (states:SendTaskFailure under the API's role), cleanup removes the destination access point and gives
 * the source back exactly as it was: same data, same rules, writable.
 */
import { DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { check, waitFor, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare } from './share-data.ts';

export const cancelMigration: Scenario = {
  name: 'cancel',
  title: 'migration_cancel after phase 1: destination removed, source unchanged and writable, rules as before',
  async run({ rehearsal, client, note }) {
    const { hosts, fileSystems } = rehearsal.backends;
    await client.expect(200, 'POST', '/types', { share_type: { name: 'ap-cancel', extra_specs: { driver_handles_share_servers: 'False' } } });
    const created = (await client.expect(200, 'POST', '/shares', {
      share: { share_proto: 'NFS', size: 1, name: 'to-cancel', share_type: 'ap-cancel', scheduler_hints: { only_host: hosts.accessPointA } },
    })).share;
    await waitFor('the share to be available', async () => ((await client.share(created.id)).status === 'available' ? true : undefined));
    const allowed = await client.action(created.id, { allow_access: { access_type: 'user', access_to: 'cancel-clients', access_level: 'rw' } });
    check(allowed.status === 200, `allow_access answered ${allowed.status}: ${JSON.stringify(allowed.body)}`);
    const locations = (await client.expect(200, 'GET', `/shares/${created.id}/export_locations`)).export_locations as { path: string }[];
    const accessPoint = locations.map((location) => /^efs-ap:\/\/(fsap-[0-9a-f]+)/.exec(location.path)?.[1]).find(Boolean)!;
    const folder = await rehearsal.efs.mount({ fileSystemId: fileSystems.a, accessPointId: accessPoint });
    await fillShare(folder, 12);
    const before = await describeShare(folder);
    const policyBefore = JSON.stringify(rehearsal.fileSystemPolicies.policyOf(fileSystems.a));

    const started = await client.startMigration(created.id, hosts.accessPointB);
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    await waitFor('phase 1 to be done', async () => {
      const shown = await client.share(created.id);
      if (shown.task_state === 'migration_error') throw new Error('migration_error');
      return shown.task_state === 'data_copying_completed' ? true : undefined;
    });
    const migration = (await client.migrations(created.id)).at(-1);
    const destinationAccessPoints = await new EFSClient(rehearsal.admin).send(new DescribeAccessPointsCommand({ FileSystemId: fileSystems.b }));
    const destination = destinationAccessPoints.AccessPoints?.find((point) => point.Tags?.some((tag) => tag.Key === 'smig:share-id' && tag.Value === created.id));
    check(destination, 'phase 1 is done but no destination access point carries the share');

    const cancelled = await client.action(created.id, { migration_cancel: null });
    check(cancelled.status === 202, `migration_cancel answered ${cancelled.status}: ${JSON.stringify(cancelled.body)}`);
    const after = await waitFor('migration_cancelled', async () => {
      const shown = await client.share(created.id);
      return shown.task_state === 'migration_cancelled' ? shown : undefined;
    });
    check(after.status === 'available' && after.host === hosts.accessPointA, `after the cancel the share is ${after.status} on ${after.host}`);
    checkSameTree(before, await describeShare(folder), 'the source after the cancel');
    check(JSON.stringify(rehearsal.fileSystemPolicies.policyOf(fileSystems.a)) === policyBefore, 'the source file system policy differs from before the migration (read-only left behind, or rules lost)');
    const gone = await new EFSClient(rehearsal.admin).send(new DescribeAccessPointsCommand({ AccessPointId: destination.AccessPointId })).then(() => false, () => true);
    check(gone, `the destination access point ${destination.AccessPointId} still exists after the cancel`);
    note(`migration ${migration.id} cancelled after phase 1; source ${accessPoint} unchanged (${Object.keys(before).length} entries, same policy); destination ${destination.AccessPointId} deleted`);
  },
};
