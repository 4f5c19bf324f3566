import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type MigrationEventPublisher, type TaskStateChangeDetail } from '../../core/events/migration-event.ts';

/** Puts migration events on the stack's EventBridge bus. */
export class EventBridgePublisher implements MigrationEventPublisher {
  private readonly client: EventBridgeClient;
  private readonly busName: string;

  constructor(client: EventBridgeClient, busName: string) {
    this.client = client;
    this.busName = busName;
  }

  async publish(detailType: string, detail: TaskStateChangeDetail): Promise<void> {
    const out = await this.client.send(new PutEventsCommand({
      Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Resources: [] }],
    }));
    const failed = out.Entries?.find((e) => e.ErrorCode);
    if ((out.FailedEntryCount ?? 0) > 0 || failed) {
      throw new Error(`EventBridge refused the ${detailType} event of migration ${detail.migration_id}: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`);
    }
  }
}
