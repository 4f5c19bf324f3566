/**
 * What a rehearsal scenario is and what it can use: the API as an operator reaches it (a Manila client
 * over HTTP, and the unmodified `manila` CLI), the EFS folders (to put data on a share the way its
 * clients would, and to compare it after the move), and the emulator's state.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ManilaClient } from '../../local/manila-client.ts';
import type { CallRecord } from '../iam/call-log.ts';
import type { Rehearsal } from '../rehearsal.ts';

const run = promisify(execFile);

export interface ScenarioContext {
  readonly rehearsal: Rehearsal;
  /** The Manila v2 API through API Gateway, with the admin token. */
  readonly client: ManilaClient;
  /** The unmodified `manila` CLI (python3-manilaclient) against the API, with the admin token. */
  manila(...args: string[]): Promise<string>;
  /** A line of what the scenario is doing, for the report. */
  note(line: string): void;
}

export interface Scenario {
  readonly name: string;
  /** One sentence: what it proves. */
  readonly title: string;
  /** Throws ScenarioFailure (or any error) if what it proves does not hold. */
  run(context: ScenarioContext): Promise<void>;
}

export class ScenarioFailure extends Error {
  override readonly name = 'ScenarioFailure';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ScenarioFailure(message);
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly error?: string;
  readonly notes: readonly string[];
  /** Calls IAM denied during the scenario: each one fails it. */
  readonly denied: readonly CallRecord[];
  readonly calls: number;
}

export function scenarioContext(rehearsal: Rehearsal, notes: string[]): ScenarioContext {
  const client = new ManilaClient(rehearsal.apiUrl, rehearsal.adminToken);
  return {
    rehearsal,
    client,
    async manila(...args: string[]): Promise<string> {
      try {
        const { stdout } = await run('manila', ['--os-token', rehearsal.adminToken, '--bypass-url', `${rehearsal.apiUrl}/v2`, '--os-share-api-version', '2.72', ...args], { timeout: 120_000 });
        return stdout;
      } catch (error) {
        const err = error as { stderr?: string; message: string };
        throw new ScenarioFailure(`manila ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
      }
    },
    note: (line) => notes.push(line),
  };
}

/** The value of `name` in a `manila show`-style table. */
export function field(table: string, name: string): string {
  const row = table.split('\n').find((line) => line.split('|')[1]?.trim() === name);
  if (!row) throw new ScenarioFailure(`no ${name} in the manila CLI's output:\n${table}`);
  return row.split('|')[2]!.trim();
}

/** Polls until `probe` answers a value (not undefined), or fails saying what it waited for. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new ScenarioFailure(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
