/**
 * `smig-copy prepare|seal --cut B64 ... [--no-delete] [--no-preserve-metadata] SRC DST`: the steps around
 * a partitioned pass (engine/partition-seal.ts) for the folders no partition owns, the boundary folders of
 * the plan's cuts. `prepare` before the partitions run, `seal` once they all did. Prints one JSON line;
 * errors as the CLI prints them (exit 1; 2 for usage).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CopyExitCode } from '../../lambdas/core/workflow.ts';
import { decodePartitionPath, PartitionRangeError } from '../engine/partition-range.ts';
import { prepareBoundaries, sealPartitions } from '../engine/partition-seal.ts';
import { CopyUsageError, exitCodeFor, type ExitCode } from '../runtime/exit-codes.ts';
import { jsonOutput, type TextSink } from './output.ts';

export const BOUNDARY_USAGE = `Usage: smig-copy prepare --cut B64 [--cut B64 ...] SRC DST
       smig-copy seal --cut B64 [--cut B64 ...] [--no-delete] [--no-preserve-metadata] SRC DST

The folders no partition of a partitioned copy owns: the root and every folder above a cut (the plan's
cuts, each base64 of a path's bytes, as 'smig-copy plan' prints them).
  prepare   before the partitions run: makes each of them that SRC has a folder in DST
  seal      once every partition ran: gives each the attributes SRC's has (and reads them back);
            one SRC lacks is removed from DST when empty (not with --no-delete)

Options:
  --cut B64               a cut of the plan (repeat for each)
  --no-delete             seal: keep boundary folders SRC lacks (as a partition run with --no-delete)
  --no-preserve-metadata  seal: leave out the xattrs and ACLs DST's file system refuses
  -h, --help              show this help
`;

export interface BoundaryCommand {
  readonly kind: 'prepare' | 'seal';
  readonly source: string;
  readonly destination: string;
  readonly cuts: readonly Buffer[];
  readonly mirror: boolean;
  readonly preserveMetadata: boolean;
}

/** Parses what follows `prepare` or `seal`; throws CopyUsageError. */
export function parseBoundaryArgs(kind: 'prepare' | 'seal', argv: readonly string[], cwd: string): BoundaryCommand | { readonly kind: 'help'; readonly usage: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      options: {
        cut: { type: 'string', multiple: true, default: [] },
        delete: { type: 'boolean', default: true },
        'preserve-metadata': { type: 'boolean', default: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CopyUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', usage: BOUNDARY_USAGE };
  if (positionals.length !== 2) throw new CopyUsageError(`${kind} expects SRC and DST, got ${positionals.length} argument(s)`);
  let cuts: Buffer[];
  try {
    cuts = values.cut.map((cut) => decodePartitionPath(cut));
  } catch (error) {
    throw new CopyUsageError(`--cut: ${error instanceof PartitionRangeError ? error.message : String(error)}`);
  }
  return {
    kind,
    source: resolve(cwd, positionals[0] as string),
    destination: resolve(cwd, positionals[1] as string),
    cuts,
    mirror: values.delete,
    preserveMetadata: values['preserve-metadata'],
  };
}

/** Runs prepare or seal: its summary as one JSON line on stdout, an error as the CLI's JSON error line on stderr. */
export async function runBoundary(command: BoundaryCommand, io: { readonly stdout: TextSink; readonly stderr: TextSink }): Promise<ExitCode> {
  try {
    const summary =
      command.kind === 'prepare'
        ? await prepareBoundaries(command.source, command.destination, command.cuts)
        : await sealPartitions(command.source, command.destination, command.cuts, { mode: command.mirror ? 'mirror' : 'merge', preserveMetadata: command.preserveMetadata });
    io.stdout.write(`${JSON.stringify({ type: command.kind, ...summary })}\n`);
    return CopyExitCode.OK;
  } catch (error) {
    const code = exitCodeFor(error);
    jsonOutput(io.stdout, io.stderr).error(error, code);
    return code;
  }
}
