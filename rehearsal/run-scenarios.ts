/**
 * Runs scenarios on a started rehearsal, one after another or all at once. A scenario fails if what it
 * checks does not hold, or, run alone, if IAM denied any call while it ran; run together, denied calls
 * cannot be told apart by scenario, so the run as a whole fails on any (see `deniedDuring`).
 */
import { describeDenial, isDenial, type CallRecord } from './iam/call-log.ts';
import type { Rehearsal } from './rehearsal.ts';
import { scenarioContext, type Scenario, type ScenarioResult } from './scenarios/scenario.ts';

export interface RunOptions {
  /**
   * Run every scenario at the same time. They are independent (each its own shares and file systems);
   * most of a migration's time is waiting (a switchover waits for CloudWatch's whole minutes).
   * @default false
   */
  readonly concurrent?: boolean;
  readonly onResult?: (result: ScenarioResult) => void;
}

export async function runScenarios(rehearsal: Rehearsal, scenarios: readonly Scenario[], options: RunOptions = {}): Promise<ScenarioResult[]> {
  if (!options.concurrent) {
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      const mark = rehearsal.log.mark();
      const result = await runOne(rehearsal, scenario, () => rehearsal.log.since(mark));
      results.push(result);
      options.onResult?.(result);
    }
    return results;
  }
  return Promise.all(scenarios.map(async (scenario) => {
    const result = await runOne(rehearsal, scenario, () => []);
    options.onResult?.(result);
    return result;
  }));
}

/** Calls denied since `mark`, whatever scenario caused them. */
export function deniedDuring(rehearsal: Rehearsal, mark = 0): CallRecord[] {
  return rehearsal.log.since(mark).filter(isDenial);
}

async function runOne(rehearsal: Rehearsal, scenario: Scenario, ownCalls: () => readonly CallRecord[]): Promise<ScenarioResult> {
  const notes: string[] = [];
  const started = Date.now();
  let error: string | undefined;
  try {
    await scenario.run(scenarioContext(rehearsal, notes));
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const calls = ownCalls();
  const denied = calls.filter(isDenial);
  // A denied call is the cause of whatever failed after it: it leads the message.
  if (denied.length > 0) error = `IAM denied ${denied.length} call(s): ${denied.map(describeDenial).join('; ')}${error ? `; the scenario then failed: ${error}` : ''}`;
  return { name: scenario.name, title: scenario.title, ok: error === undefined, seconds: (Date.now() - started) / 1000, ...(error ? { error } : {}), notes, denied, calls: calls.length };
}
