/**
 * ECS RunTask failing under a copy state. A transient failure (Fargate capacity, an API throttle) is
 * retried by the state and the migration succeeds; a failure that persists past the retries sends the
 * migration to cleanup, which removes the destination and leaves the source exactly as it was.
 */
import { DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import type { Rehearsal } from '../rehearsal.ts';
import { check, waitFor, type Scenario, type ScenarioContext } from './scenario.ts';
import { checkSameTree, describeShare, fillShare } from './share-data.ts';

const CAPACITY = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

async function accessPointShare(context: ScenarioContext, name: string): Promise<{ id: string; accessPoint: string; folder: string }> {
  const { rehearsal, client } = context;
  const { hosts, fileSystems } = rehearsal.backends;
  await client.request('POST', '/types', { share_type: { name: 'ap-faults', extra_specs: { driver_handles_share_servers: 'False' } } });
  const share = (await client.expect(200, 'POST', '/shares', {
    share: { share_proto: 'NFS', size: 1, name, share_type: 'ap-faults', scheduler_hints: { only_host: hosts.accessPointA } },
  })).share;
  await waitFor('the share to be available', async () => ((await client.share(share.id)).status === 'available' ? true : undefined));
  const locations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
  const accessPoint = locations.map((location) => /^efs-ap:\/\/(fsap-[0-9a-f]+)/.exec(location.path)?.[1]).find(Boolean)!;
  const folder = await rehearsal.efs.mount({ fileSystemId: fileSystems.a, accessPointId: accessPoint });
  await fillShare(folder, 8);
  return { id: share.id, accessPoint, folder };
}

function runTaskCalls(rehearsal: Rehearsal, mark: number): number {
  return rehearsal.log.since(mark).filter((call) => call.operation === 'ecs:RunTask').length;
}

export const transientRunTaskFailure: Scenario = {
  name: 'runtask-retry',
  title: 'RunTask refused twice (no Fargate capacity, then throttled): the copy state retries and the migration succeeds',
  async run(context) {
    const { rehearsal, client, note } = context;
    const share = await accessPointShare(context, 'retried');
    const written = await describeShare(share.folder);
    rehearsal.ecs.injectRunTaskFaults({ kind: 'failure', reason: CAPACITY }, { kind: 'error', code: 'ThrottlingException', message: 'Rate exceeded' });
    const mark = rehearsal.log.mark();
    const started = await client.startMigration(share.id, rehearsal.backends.hosts.accessPointB, { auto_complete: true });
    check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
    await waitFor('migration_success', async () => {
      const shown = await client.share(share.id);
      if (shown.task_state === 'migration_error') throw new Error(`migration_error: ${JSON.stringify((await client.migrations(share.id)).at(-1)?.error)}`);
      return shown.task_state === 'migration_success' ? true : undefined;
    });
    const calls = runTaskCalls(rehearsal, mark);
    check(calls >= 4, `expected the two refused RunTask calls and then one per copy pass, saw ${calls}`);
    const locations = (await client.expect(200, 'GET', `/shares/${share.id}/export_locations`)).export_locations as { path: string }[];
    const accessPoint = locations.map((location) => /^efs-ap:\/\/(fsap-[0-9a-f]+)/.exec(location.path)?.[1]).find(Boolean)!;
    checkSameTree(written, await describeShare(await rehearsal.efs.accessPointFolder(accessPoint)), 'the destination after retried RunTask calls');
    note(`${calls} RunTask calls for 2 copy passes: capacity and throttling refusals retried, migration_success`);
  },
};

export const persistentRunTaskFailure: Scenario = {
  name: 'runtask-fails',
  title: 'RunTask refused past every retry: migration_error, destination removed, source unchanged',
  async run(context) {
    const { rehearsal, client, note } = context;
    const share = await accessPointShare(context, 'unlucky');
    const before = await describeShare(share.folder);
    const policyBefore = JSON.stringify(rehearsal.fileSystemPolicies.policyOf(rehearsal.backends.fileSystems.a));
    rehearsal.ecs.injectRunTaskFaults(...Array.from({ length: 50 }, () => ({ kind: 'failure' as const, reason: CAPACITY })));
    try {
      const started = await client.startMigration(share.id, rehearsal.backends.hosts.accessPointB, { auto_complete: true });
      check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
      const ended = await waitFor('migration_error', async () => {
        const shown = await client.share(share.id);
        return shown.task_state === 'migration_error' || shown.task_state === 'migration_success' ? shown : undefined;
      });
      check(ended.task_state === 'migration_error', `the migration ended ${ended.task_state} though no copy task could run`);
      check(ended.status === 'available' && ended.host === rehearsal.backends.hosts.accessPointA, `after the failure the share is ${ended.status} on ${ended.host}`);
    } finally {
      rehearsal.ecs.clearRunTaskFaults();
    }
    const migration = (await client.migrations(share.id)).at(-1);
    checkSameTree(before, await describeShare(share.folder), 'the source after the failed migration');
    check(JSON.stringify(rehearsal.fileSystemPolicies.policyOf(rehearsal.backends.fileSystems.a)) === policyBefore, 'the source file system policy changed');
    const efs = new EFSClient(rehearsal.admin);
    const destinations = (await efs.send(new DescribeAccessPointsCommand({ FileSystemId: rehearsal.backends.fileSystems.b }))).AccessPoints ?? [];
    check(!destinations.some((point) => point.Tags?.some((tag) => tag.Key === 'smig:share-id' && tag.Value === share.id)), 'a destination access point of the share is left on the destination file system');
    note(`migration_error (${migration.error?.error}: ${String(migration.error?.cause).slice(0, 160)}); source unchanged, destination removed`);
  },
};
