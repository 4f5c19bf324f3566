import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../lambdas/adapters/eventbridge/eventbridge-publisher.ts';
import type { TaskStateChangeDetail } from '../../lambdas/core/events/migration-event.ts';

const detail: TaskStateChangeDetail = {
  migration_id: 'm-1', share_id: 's-1', task_state: 'data_copying_completed', previous_task_state: 'data_copying_in_progress',
  mechanism: 'host_assisted', source_host: 'a@b#c', destination_host: 'a@d#c', at: '2026-11-25T00:00:00.000Z', error: null,
};

describe('Class: EventBridgePublisher', () => {
  const events = mockClient(EventBridgeClient);
  beforeEach(() => events.reset());

  it('puts the event on the bus with the documented source and detail type', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'share-migration').publish('Share Migration Task State Change', detail);
    expect(events.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ EventBusName: 'share-migration', Source: 'share-migration', DetailType: 'Share Migration Task State Change', Detail: JSON.stringify(detail), Resources: [] }],
    });
  });

  it('fails when EventBridge refuses the entry, so the step retries and publishes again', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'b').publish('X', detail)).rejects.toThrow(/InternalFailure try again/);
  });
});
