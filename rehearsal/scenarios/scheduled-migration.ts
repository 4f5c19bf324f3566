/**
 * A scheduled migration: the API creates the EventBridge Scheduler schedule (passing the scheduler role),
 * the schedule fires through its target with the scheduler role (StartExecution without a name, the
 * execution's name becomes the migration id), the first state records the firing on the schedule, and
 * the migration completes by itself in its window.
 */
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { check, waitFor, type Scenario } from './scenario.ts';

export const scheduledMigration: Scenario = {
  name: 'schedule',
  title: 'a one-time schedule created through the API, fired by EventBridge Scheduler with its role, migrates the share unattended',
  async run({ rehearsal, client, note }) {
    const { hosts } = rehearsal.backends;
    await client.expect(200, 'POST', '/types', { share_type: { name: 'ap-scheduled', extra_specs: { driver_handles_share_servers: 'False' } } });
    const share = (await client.expect(200, 'POST', '/shares', {
      share: { share_proto: 'NFS', size: 1, name: 'nightly', share_type: 'ap-scheduled', scheduler_hints: { only_host: hosts.accessPointB } },
    })).share;
    await waitFor('the share to be available', async () => ((await client.share(share.id)).status === 'available' ? true : undefined));
    const at = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const schedule = (await client.expect(200, 'POST', '/migration-schedules', {
      migration_schedule: { share_id: share.id, host: hosts.accessPointA, writable: true, preserve_metadata: true, preserve_snapshots: false, nondisruptive: false, at, window_minutes: 30 },
    })).migration_schedule;
    const inScheduler = await new SchedulerClient(rehearsal.admin).send(new GetScheduleCommand({ Name: schedule.id, GroupName: String(rehearsal.stack.ref(rehearsal.stack.resourcesOf('AWS::Scheduler::ScheduleGroup')[0]![0])) }));
    check(inScheduler.ScheduleExpression?.startsWith('at('), `the EventBridge schedule's expression is ${inScheduler.ScheduleExpression}`);
    note(`schedule ${schedule.id}: ${inScheduler.ScheduleExpression}, target role ${inScheduler.Target?.RoleArn?.split('/').at(-1)}`);

    const execution = await rehearsal.schedules.fire(schedule.id);
    const done = await waitFor('migration_success of the scheduled migration', async () => {
      const shown = await client.share(share.id);
      if (shown.task_state === 'migration_error') throw new Error(`migration_error: ${JSON.stringify((await client.migrations(share.id)).at(-1)?.error)}`);
      return shown.task_state === 'migration_success' ? shown : undefined;
    });
    check(done.host === hosts.accessPointA, `after the scheduled migration the share is on ${done.host}`);
    const migrationId = execution.split(':').at(-1)!;
    const recorded = (await client.expect(200, 'GET', `/migration-schedules/${schedule.id}`)).migration_schedule;
    check(recorded.last_firing?.outcome === 'started' && recorded.last_firing?.migration_id === migrationId,
      `the schedule records ${JSON.stringify(recorded.last_firing)}, expected started with migration ${migrationId}`);
    note(`fired as execution ${migrationId}: migration_success on ${hosts.accessPointA}; the schedule records the firing`);
  },
};
