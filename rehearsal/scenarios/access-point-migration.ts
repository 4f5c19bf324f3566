/**
 * An access-point share moved host-assisted between two file systems of an access-point backend, driven
 * by the unmodified `manila` CLI through API Gateway: share type, share, access rule, migration-start,
 * progress until phase 1 is done, migration-complete, success; the data on the destination equals what
 * the clients wrote, and the access rule follows the share to the new file system's policy.
 */
import { DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { check, field, waitFor, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare, shareFolder } from './share-data.ts';

export const accessPointMigration: Scenario = {
  name: 'access-point',
  title: 'access-point share, host-assisted, through the manila CLI: data, owners and the access rule arrive; the source access point goes',
  async run({ rehearsal, client, manila, note }) {
    const { hosts, fileSystems } = rehearsal.backends;
    await manila('type-create', 'ap-standard', 'false');
    const created = await manila('create', 'NFS', '1', '--name', 'projects', '--share-type', 'ap-standard', '--scheduler-hints', `only_host=${hosts.accessPointA}`);
    const id = field(created, 'id');
    const share = await waitFor('the share to be available', async () => {
      const shown = await client.share(id);
      return shown.status === 'available' ? shown : undefined;
    });
    check(share.host === hosts.accessPointA, `the share was placed on ${share.host}, not ${hosts.accessPointA}`);
    // The clients' IAM role by name: the manila CLI refuses an ARN in a user rule.
    const clientRole = `arn:aws:iam::${rehearsal.stack.environment.account}:role/project-clients`;
    await manila('access-allow', id, 'user', 'project-clients', '--access-level', 'rw');
    await waitFor('the access rule to be active', async () => ((await manila('access-list', id)).includes('active') ? true : undefined));

    const sourceLocations = (await client.expect(200, 'GET', `/shares/${id}/export_locations`)).export_locations as { path: string }[];
    const sourceAccessPoint = sourceLocations.map((location) => /^efs-ap:\/\/(fsap-[0-9a-f]+)/.exec(location.path)?.[1]).find(Boolean)!;
    const sourceFolder = await rehearsal.efs.mount({ fileSystemId: fileSystems.a, accessPointId: sourceAccessPoint });
    await fillShare(sourceFolder);
    const written = await describeShare(sourceFolder);
    note(`share ${id} on ${hosts.accessPointA} (${sourceAccessPoint}), ${Object.keys(written).length} entries written by its clients`);

    await manila('migration-start', id, hosts.accessPointB, '--writable', 'True', '--preserve-metadata', 'True', '--preserve-snapshots', 'False', '--nondisruptive', 'False');
    const progress = await waitFor('phase 1 to be done (data_copying_completed)', async () => {
      const shown = await manila('migration-get-progress', id);
      if (field(shown, 'task_state') === 'migration_error') throw new Error(`migration_error: ${shown}`);
      return field(shown, 'task_state') === 'data_copying_completed' ? shown : undefined;
    });
    check(field(progress, 'total_progress') === '100', `phase 1 done at ${field(progress, 'total_progress')}%`);
    await manila('migration-complete', id);
    const done = await waitFor('migration_success', async () => {
      const shown = await client.share(id);
      if (shown.task_state === 'migration_error') throw new Error(`migration_error: ${JSON.stringify((await client.migrations(id)).at(-1)?.error)}`);
      return shown.task_state === 'migration_success' ? shown : undefined;
    });
    check(done.host === hosts.accessPointB && done.status === 'available', `after the migration the share is ${done.status} on ${done.host}`);

    const destinationLocations = (await client.expect(200, 'GET', `/shares/${id}/export_locations`)).export_locations as { path: string }[];
    checkSameTree(written, await describeShare(await shareFolder(rehearsal, destinationLocations)), 'the destination access point');
    const efs = new EFSClient(rehearsal.admin);
    const policy = JSON.stringify(rehearsal.fileSystemPolicies.policyOf(fileSystems.b) ?? {});
    check(policy.includes(clientRole), `the destination file system's policy does not name the access rule's principal ${clientRole}: ${policy}`);
    const sourceGone = await efs.send(new DescribeAccessPointsCommand({ AccessPointId: sourceAccessPoint })).then(() => false, () => true);
    check(sourceGone, `the source access point ${sourceAccessPoint} still exists after migration_success`);
    note(`migration_success: ${Object.keys(written).length} entries equal on ${hosts.accessPointB}, rule in the destination's file system policy, source access point deleted`);
  },
};
