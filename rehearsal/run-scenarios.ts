/**
 * Runs scenarios one after another on a started rehearsal. A scenario fails if what it checks does not
 * hold or if IAM denied any call while it ran.
 */
import { describeDenial, isDenial } from './iam/call-log.ts';
import type { Rehearsal } from './rehearsal.ts';
import { scenarioContext, type Scenario, type ScenarioResult } from './scenarios/scenario.ts';

export async function runScenarios(rehearsal: Rehearsal, scenarios: readonly Scenario[], onResult: (result: ScenarioResult) => void = () => undefined): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const notes: string[] = [];
    const mark = rehearsal.log.mark();
    const started = Date.now();
    let error: string | undefined;
    try {
      await scenario.run(scenarioContext(rehearsal, notes));
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const calls = rehearsal.log.since(mark);
    const denied = calls.filter(isDenial);
    if (!error && denied.length > 0) error = `IAM denied ${denied.length} call(s): ${denied.map(describeDenial).join('; ')}`;
    const result: ScenarioResult = { name: scenario.name, title: scenario.title, ok: error === undefined, seconds: (Date.now() - started) / 1000, ...(error ? { error } : {}), notes, denied, calls: calls.length };
    results.push(result);
    onResult(result);
  }
  return results;
}
