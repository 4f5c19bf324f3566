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
    // 0600 whatever the umask: the log names shares and hosts (the data folder keeps it private too).
    await appendFile(this.file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: (event: Record<string, unknown>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
