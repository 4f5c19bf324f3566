/**
 * ECS RunTask failing under a copy state. A transient failure (Fargate capacity, an API throttle) is
 * retried by the state and the migration succeeds; a failure that persists past the retries sends the
 * migration to cleanup, which removes the destination and leaves the source exactly as it was. The
 * faults are given to the RunTask calls of the scenario's own task definition family only, so other
 * scenarios running meanwhile are not touched.
 */
import { DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { check, type Scenario } from './scenario.ts';
import { checkSameTree, describeShare, fillShare } from './share-data.ts';
import { accessPointOf, createAccessPointShare, mountAsClient, untilTaskState } from './shares.ts';

const CAPACITY = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

export const transientRunTaskFailure: Scenario = {
  name: 'runtask-retry',
  title: 'RunTask refused twice (no Fargate capacity, then throttled): the copy state retries and the migration succeeds',
  async run({ rehearsal, client, note }) {
    const pair = rehearsal.backends.pairs.retry;
    const share = await createAccessPointShare(rehearsal, client, pair, 'retried');
    const application = await mountAsClient(rehearsal, pair.sourceFileSystem, share.accessPoint, 'application');
    await fillShare(application.folder, 8);
    const written = await describeShare(application.folder);
    application.unmount();
    const faults = rehearsal.ecs.injectRunTaskFaults({ fileSystems: [pair.sourceFileSystem] }, { kind: 'failure', reason: CAPACITY }, { kind: 'error', code: 'ThrottlingException', message: 'Rate exceeded' });
    try {
      const started = await client.startMigration(share.id, pair.destination, { auto_complete: true });
      check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
      await untilTaskState(client, share.id, ['migration_success']);
    } finally {
      faults.clear();
    }
    check(faults.used() === 2, `${faults.used()} of the 2 injected RunTask refusals were met`);
    checkSameTree(written, await describeShare(await rehearsal.efs.accessPointFolder(await accessPointOf(client, share.id))), 'the destination after retried RunTask calls');
    note('RunTask refused for capacity, then throttled, then started: the copy state retried, migration_success');
  },
};

export const persistentRunTaskFailure: Scenario = {
  name: 'runtask-fails',
  title: 'RunTask refused past every retry: migration_error, destination removed, source unchanged',
  async run({ rehearsal, client, note }) {
    const pair = rehearsal.backends.pairs.fail;
    const share = await createAccessPointShare(rehearsal, client, pair, 'unlucky');
    const application = await mountAsClient(rehearsal, pair.sourceFileSystem, share.accessPoint, 'application');
    await fillShare(application.folder, 8);
    const before = await describeShare(application.folder);
    const policyBefore = JSON.stringify(rehearsal.fileSystemPolicies.policyOf(pair.sourceFileSystem));
    const faults = rehearsal.ecs.injectRunTaskFaults({ fileSystems: [pair.sourceFileSystem] }, ...Array.from({ length: 50 }, () => ({ kind: 'failure' as const, reason: CAPACITY })));
    try {
      const started = await client.startMigration(share.id, pair.destination, { auto_complete: true });
      check(started.status === 202, `migration_start answered ${started.status}: ${JSON.stringify(started.body)}`);
      const ended = await untilTaskState(client, share.id, ['migration_error', 'migration_success'], 180_000);
      check(ended.task_state === 'migration_error', `the migration ended ${ended.task_state} though no copy task could run`);
      check(ended.status === 'available' && ended.host === pair.source, `after the failure the share is ${ended.status} on ${ended.host}`);
    } finally {
      faults.clear();
    }
    const migration = (await client.migrations(share.id)).at(-1);
    checkSameTree(before, await describeShare(application.folder), 'the source after the failed migration');
    check(JSON.stringify(rehearsal.fileSystemPolicies.policyOf(pair.sourceFileSystem)) === policyBefore, 'the source file system policy changed');
    const destinations = (await new EFSClient(rehearsal.admin).send(new DescribeAccessPointsCommand({ FileSystemId: pair.destinationFileSystem }))).AccessPoints ?? [];
    check(!destinations.some((point) => point.Tags?.some((tag) => tag.Key === 'smig:share-id' && tag.Value === share.id)), 'a destination access point of the share is left on the destination file system');
    application.unmount();
    note(`migration_error after ${faults.used()} refused RunTask calls (${migration.error?.error}); source unchanged, destination removed`);
  },
};
