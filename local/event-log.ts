import { appendFile } from 'node:fs/promises';
import { EVENT_SOURCE, type MigrationEventPublisher, type TaskStateChangeDetail } from '../lambdas/core/events/migration-event.ts';

/**
 * The bus at home: each event as one JSON line in `<data>/events.jsonl`, in EventBridge's envelope, so
 * a script can follow migrations with `tail -f`; subscribers in-process can listen too.
 */
export class JsonLinesEventLog implements MigrationEventPublisher {
  private readonly file: string;
  private readonly listeners = new Set<(event: Record<string, unknown>) => void>();

  constructor(file: string) {
    this.file = file;
  }

  async publish(detailType: string, detail: TaskStateChangeDetail): Promise<void> {
    const event = { version: '0', source: EVENT_SOURCE, 'detail-type': detailType, time: new Date().toISOString(), detail };
    await appendFile(this.file, `${JSON.stringify(event)}\n`);
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: (event: Record<string, unknown>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
