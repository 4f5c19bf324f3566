import { open } from 'node:fs/promises';
import type { ExecutionPath, OperatorInsight } from '../lambdas/core/operator-insight.ts';
import type { LocalWorkflow } from './local-workflow.ts';

/** How much of events.jsonl's end is read for the newest events: enough for MAX_EVENTS lines of a few hundred bytes. */
const TAIL_BYTES = 2 * 1024 * 1024;

/**
 * The console's view at home: the synthesized definition the runtime runs, the paths of its executions
 * (LocalWorkflow follows their event logs), and the newest lines of `<data>/events.jsonl`.
 */
export class LocalOperatorInsight implements OperatorInsight {
  private readonly workflowDefinition: unknown;
  private readonly workflow: LocalWorkflow;
  private readonly eventsFile: string;

  constructor(options: { definition: unknown; workflow: LocalWorkflow; eventsFile: string }) {
    this.workflowDefinition = options.definition;
    this.workflow = options.workflow;
    this.eventsFile = options.eventsFile;
  }

  async definition(): Promise<unknown> {
    return this.workflowDefinition;
  }

  async executionPath(executionId: string): Promise<ExecutionPath | undefined> {
    return this.workflow.executionPath(executionId);
  }

  async recentEvents(options: { readonly shareId?: string; readonly limit: number }): Promise<readonly Record<string, unknown>[]> {
    let text: string;
    try {
      const file = await open(this.eventsFile, 'r');
      try {
        const { size } = await file.stat();
        const start = Math.max(0, size - TAIL_BYTES);
        const buffer = Buffer.alloc(size - start);
        await file.read(buffer, 0, buffer.length, start);
        text = buffer.toString('utf8');
        // A read that starts inside a line drops that line's part.
        if (start > 0) text = text.slice(text.indexOf('\n') + 1);
      } finally {
        await file.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const events: Record<string, unknown>[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        const detail = event['detail'] as { share_id?: unknown } | undefined;
        if (options.shareId === undefined || detail?.share_id === options.shareId) events.push(event);
      } catch {
        // A line being written as it is read: left for the next read.
      }
    }
    return events.slice(-options.limit);
  }
}
