/**
 * A scheduled migration: the API creates the EventBridge Scheduler schedule (passing the scheduler role),
 * the schedule fires through its target with the scheduler role (StartExecution without a name, the
 * execution's name becomes the migration id), the first state records the firing on the schedule, and
 * the migration completes by itself, its switchover proven by CloudWatch showing no client.
 */
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { check, type Scenario } from './scenario.ts';
import { createAccessPointShare, untilTaskState } from './shares.ts';

export const scheduledMigration: Scenario = {
  name: 'schedule',
  title: 'a one-time schedule created through the API, fired by EventBridge Scheduler with its role, migrates the share unattended',
  async run({ rehearsal, client, note }) {
    const pair = rehearsal.backends.pairs.schedule;
    const share = await createAccessPointShare(rehearsal, client, pair, 'nightly');
    const at = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const schedule = (await client.expect(200, 'POST', '/migration-schedules', {
      migration_schedule: { share_id: share.id, host: pair.destination, writable: true, preserve_metadata: true, preserve_snapshots: false, nondisruptive: false, at, window_minutes: 30 },
    })).migration_schedule;
    const group = String(rehearsal.stack.ref(rehearsal.stack.resourcesOf('AWS::Scheduler::ScheduleGroup')[0]![0]));
    const inScheduler = await new SchedulerClient(rehearsal.admin).send(new GetScheduleCommand({ Name: schedule.id, GroupName: group }));
    check(inScheduler.ScheduleExpression?.startsWith('at('), `the EventBridge schedule's expression is ${inScheduler.ScheduleExpression}`);
    note(`schedule ${schedule.id}: ${inScheduler.ScheduleExpression}, target role ${inScheduler.Target?.RoleArn?.split('/').at(-1)}`);

    const execution = await rehearsal.schedules.fire(schedule.id);
    const done = await untilTaskState(client, share.id, ['migration_success']);
    check(done.host === pair.destination, `after the scheduled migration the share is on ${done.host}`);
    const migrationId = execution.split(':').at(-1)!;
    const recorded = (await client.expect(200, 'GET', `/migration-schedules/${schedule.id}`)).migration_schedule;
    check(recorded.last_firing?.outcome === 'started' && recorded.last_firing?.migration_id === migrationId,
      `the schedule records ${JSON.stringify(recorded.last_firing)}, expected started with migration ${migrationId}`);
    note(`fired as execution ${migrationId}: migration_success on ${pair.destination}; the schedule records the firing`);
  },
};
