/**
 * The rehearsal's report: each scenario's outcome, every denied call, and per caller which AWS actions
 * it made and on which resources, what the rehearsal authorized without a model of the operation, and
 * which calls the emulator could not serve.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeDenial, isDenial, type CallRecord } from './iam/call-log.ts';
import type { Rehearsal } from './rehearsal.ts';
import type { ScenarioResult } from './scenarios/scenario.ts';

export interface RehearsalReport {
  readonly ok: boolean;
  readonly seconds: number;
  readonly scenarios: readonly ScenarioResult[];
  readonly denied: readonly string[];
  /** Per caller (kind and name): the actions allowed, with how many calls. */
  readonly actions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Operations the rehearsal has no resource model for (authorized on "*" only). */
  readonly unmodelled: readonly string[];
  /** Operations moto answered with an error it gives for what it does not implement. */
  readonly notServed: readonly string[];
  readonly calls: number;
}

export function buildReport(rehearsal: Rehearsal, scenarios: readonly ScenarioResult[], seconds: number): RehearsalReport {
  const calls = rehearsal.log.all();
  const actions: Record<string, Record<string, number>> = {};
  for (const call of calls) {
    if (!call.allowed) continue;
    const who = `${call.caller.kind} ${call.caller.name}`;
    for (const authorization of call.authorizations) {
      (actions[who] ??= {})[authorization.action] = ((actions[who] ??= {})[authorization.action] ?? 0) + 1;
    }
  }
  const denied = calls.filter(isDenial).map(describeDenial);
  return {
    ok: scenarios.every((scenario) => scenario.ok) && denied.length === 0,
    seconds,
    scenarios,
    denied,
    actions,
    unmodelled: unique(calls.filter((call) => !call.modelled).map((call) => call.operation)),
    notServed: unique(calls.filter(notServedByMoto).map((call) => `${call.operation} (${call.error ?? call.status})`)),
    calls: calls.length,
  };
}

/** moto answers an operation it lacks with a 404/500 page or a NotImplemented-style code. */
function notServedByMoto(call: CallRecord): boolean {
  if (call.servedBy !== 'moto' || call.status < 400) return false;
  return /HTTP (404|500|501)|NotImplemented|Unknown/i.test(call.error ?? '') || call.status === 501;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}

export async function writeReport(report: RehearsalReport, workDir: string): Promise<string> {
  const file = path.join(workDir, 'report.json');
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** The report as lines for a terminal. */
export function formatReport(report: RehearsalReport): string {
  const lines = [`AWS rehearsal: ${report.ok ? 'PASSED' : 'FAILED'} in ${report.seconds.toFixed(0)} s, ${report.calls} AWS calls authorized and recorded`, ''];
  for (const scenario of report.scenarios) {
    lines.push(`${scenario.ok ? 'ok  ' : 'FAIL'} ${scenario.name.padEnd(14)} ${scenario.seconds.toFixed(1).padStart(6)} s  ${scenario.title}`);
    for (const note of scenario.notes) lines.push(`       ${note}`);
    if (scenario.error) lines.push(`       ${scenario.error}`);
  }
  lines.push('');
  lines.push(report.denied.length === 0 ? 'IAM: no call was denied.' : `IAM denied ${report.denied.length} call(s):`);
  for (const denial of report.denied) lines.push(`  ${denial}`);
  if (report.notServed.length > 0) lines.push('', `Not served by the emulator: ${report.notServed.join(', ')}`);
  if (report.unmodelled.length > 0) lines.push('', `Authorized on "*" only (no resource model in rehearsal/iam/request-authorizations.ts): ${report.unmodelled.join(', ')}`);
  lines.push('', 'Actions by caller:');
  for (const [who, counts] of Object.entries(report.actions).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${who}: ${Object.keys(counts).sort().join(', ')}`);
  }
  return lines.join('\n');
}
