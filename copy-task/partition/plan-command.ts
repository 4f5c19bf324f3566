/**
 * `smig-copy plan [--partitions N] [--max-partitions N] SRC`: surveys SRC and prints its partition
 * plan (plan.ts) as one JSON line on stdout; errors as the CLI prints them (exit 1; 2 for usage).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CopyExitCode } from '../../lambdas/core/workflow.ts';
import { jsonOutput, type TextSink } from '../cli/output.ts';
import { CopyUsageError, exitCodeFor, type ExitCode } from '../runtime/exit-codes.ts';
import { onStopSignal, type SignalSource } from '../runtime/signals.ts';
import { planPartitions } from './plan.ts';

export const PLAN_USAGE = `Usage: smig-copy plan [--partitions N] [--max-partitions N] SRC

Surveys SRC and cuts it into partitions balanced by bytes and by entries, printed as one JSON line:
{ version, totals: { bytes, entries }, partitions: [{ from?, to?, bytes, entries }], cuts } (paths in base64).

Options:
  --partitions N          how many partitions (default: one per 1 TiB or per 1,000,000 entries, whichever is more)
  --max-partitions N      the most partitions a plan may have (default: 1000)
  -h, --help              show this help
`;

export interface PlanCommand {
  readonly kind: 'plan';
  readonly source: string;
  readonly partitions: number | undefined;
  readonly maxPartitions: number | undefined;
}

/** Parses what follows `plan`; throws CopyUsageError. */
export function parsePlanArgs(argv: readonly string[], cwd: string): PlanCommand | { readonly kind: 'help'; readonly usage: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { partitions: { type: 'string' }, 'max-partitions': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new CopyUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', usage: PLAN_USAGE };
  if (positionals.length !== 1) throw new CopyUsageError(`plan expects SRC, got ${positionals.length} argument(s)`);
  return {
    kind: 'plan',
    source: resolve(cwd, positionals[0] as string),
    partitions: count('--partitions', values.partitions),
    maxPartitions: count('--max-partitions', values['max-partitions']),
  };
}

function count(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new CopyUsageError(`${option} must be a positive integer, got '${text}'`);
  return Number(text);
}

/** Runs the plan: the plan on stdout, an error as the CLI's JSON error line on stderr; SIGTERM or SIGINT stops the survey (143). */
export async function runPlan(command: PlanCommand, io: { readonly stdout: TextSink; readonly stderr: TextSink; readonly signals: SignalSource }): Promise<ExitCode> {
  const controller = new AbortController();
  const stopListening = onStopSignal(io.signals, (signal) => controller.abort(signal));
  try {
    const plan = await planPartitions(command.source, {
      ...(command.partitions === undefined ? {} : { partitions: command.partitions }),
      ...(command.maxPartitions === undefined ? {} : { maxPartitions: command.maxPartitions }),
      signal: controller.signal,
    });
    io.stdout.write(`${JSON.stringify(plan)}\n`);
    return CopyExitCode.OK;
  } catch (error) {
    const code = exitCodeFor(error);
    jsonOutput(io.stdout, io.stderr).error(error, code);
    return code;
  } finally {
    stopListening();
  }
}
