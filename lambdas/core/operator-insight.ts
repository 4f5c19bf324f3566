/**
 * What the operator's console reads beyond Manila's API (issue 18): the state machine's definition, the
 * path an execution took through it, and the migration events. Served where the runtime can answer them
 * (at home: the synthesized definition, the local executions, events.jsonl); absent, the routes say where
 * to look instead.
 */
export interface ExecutionVisit {
  /** A top-level state of the definition (a Map's inner states are the Map's). */
  readonly state: string;
  readonly entered_at: string;
  readonly exited_at?: string;
  /** The state failed (a Catch may have led on). */
  readonly failed?: boolean;
}

export interface ExecutionPath {
  readonly name: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly visits: readonly ExecutionVisit[];
}

export interface OperatorInsight {
  /** The state machine's definition (Amazon States Language). */
  definition(): Promise<unknown>;
  /** The states an execution entered, in order; undefined for an execution this runtime does not know. */
  executionPath(executionId: string): Promise<ExecutionPath | undefined>;
  /** The newest migration events (EventBridge's envelope), newest last; of one share if `shareId`. */
  recentEvents(options: { readonly shareId?: string; readonly limit: number }): Promise<readonly Record<string, unknown>[]>;
}
