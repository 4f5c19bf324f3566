import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CopyPass } from '../../lambdas/core/model.ts';
import type { CopyMode, VerifyFrom, WriteBack } from '../engine/index.ts';
import { MAX_CONCURRENCY } from '../engine/settings.ts';
import { CopyUsageError } from '../runtime/exit-codes.ts';
import { parsePlanArgs, type PlanCommand } from '../partition/plan-command.ts';
import { parsePartitionRange, PartitionRangeError, type PartitionRange } from '../engine/partition-range.ts';
import { parseBoundaryArgs, type BoundaryCommand } from './boundary-command.ts';

export const USAGE = `Usage: smig-copy [options] SRC DST
       smig-copy plan [--partitions N] [--max-partitions N] SRC   (partitions of SRC: smig-copy plan --help)
       smig-copy prepare|seal --cut B64 ... SRC DST   (around a partitioned copy: smig-copy seal --help)

Makes DST a copy of SRC: files (sparse ones stay sparse), folders, symbolic and hard links, FIFOs
and device nodes, with mode, owner, times to the nanosecond, extended attributes and ACLs.
Files whose size and mtime already match are skipped, so running it again (after a crash too)
copies only what is not there yet.

Options:
  --verify, --no-verify   read every copy back and compare it before it takes its name (default: --verify)
  --verify-from-storage, --no-verify-from-storage
                          read each copy back from storage once it is written and on disk (O_DIRECT,
                          past the page cache: on NFS, the server's answer), not from the page cache
                          as it is written (default: --verify-from-storage with --pass final)
  --checksum              also compare the content of files whose size and mtime match (default: off)
  --concurrency N         threads copying at once, 1-${MAX_CONCURRENCY} (default: the cores on local file
                          systems, 8 where either folder is on a network file system)
  --no-delete             keep destination entries the source does not have (default: delete them)
  --durable, --no-durable wait until what the run wrote is on disk before it reports success (default:
                          --durable with --pass final; else, like cp and rsync, leave it to the kernel)
  --state-dir DIR         where to remember the last complete pass between two folders, so that the
                          next one does not read again the xattrs of what did not change (local file
                          systems; default: $SMIG_STATE_DIR, else $XDG_STATE_HOME/smig-copy, else
                          ~/.local/state/smig-copy)
  --no-state              remember nothing: every pass reads every xattr
  --no-preserve-metadata  leave out the extended attributes and ACLs DST's file system refuses (counted
                          in the summary) instead of failing on each entry that carries them
                          (default: --preserve-metadata)
  --pass bulk|final       which pass this is; final fails if the source changes (default: bulk)
  --bwlimit RATE          cap source reads, bytes per second, with optional K, M or G (default: none)
  --partition-from B64, --partition-to B64
                          copy only the partition [from, to) of the tree (base64 of paths' bytes, as
                          'smig-copy plan' prints them; either may be left out: an open end). Entries
                          outside it are left alone on both sides; the folders above its ends are the
                          seal's (smig-copy seal) (default: the whole tree)
  --json                  JSON lines on stdout, errors as JSON on stderr (default when stdout is not a terminal)
  -h, --help              show this help

Exit codes: 0 copied, 1 failed, 2 usage, 143 cancelled (SIGTERM or SIGINT).
`;

export interface CliRun {
  readonly kind: 'run';
  readonly source: string;
  readonly destination: string;
  readonly verify: boolean;
  /** Undefined when not given: the engine's default for the pass. */
  readonly verifyFrom: VerifyFrom | undefined;
  readonly checksum: boolean;
  /** Undefined when not given: the engine picks by the file systems. */
  readonly concurrency: number | undefined;
  readonly mode: CopyMode;
  readonly pass: CopyPass;
  readonly bytesPerSecond: number | undefined;
  /** Undefined when not given: the engine's default for the pass. */
  readonly writeBack: WriteBack | undefined;
  /** Where passes are remembered (CopyOptions.stateFolder); undefined with --no-state or no home. */
  readonly stateFolder: string | undefined;
  /** Undefined when not given: the caller picks by whether stdout is a terminal. */
  readonly json: boolean | undefined;
  /** CopyOptions.preserveMetadata: false leaves out the xattrs and ACLs DST refuses. */
  readonly preserveMetadata: boolean;
  /** CopyOptions.partition: --partition-from / --partition-to; undefined: the whole tree. */
  readonly partition: PartitionRange | undefined;
}

export type CliCommand = CliRun | PlanCommand | BoundaryCommand | { readonly kind: 'help'; readonly usage?: string };

/** Parses `smig-copy`'s arguments (without node and script); throws CopyUsageError. */
export function parseCliArgs(argv: readonly string[], cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): CliCommand {
  if (argv[0] === 'plan') return parsePlanArgs(argv.slice(1), cwd);
  if (argv[0] === 'prepare' || argv[0] === 'seal') return parseBoundaryArgs(argv[0], argv.slice(1), cwd);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      options: {
        verify: { type: 'boolean', default: true },
        'verify-from-storage': { type: 'boolean' },
        checksum: { type: 'boolean', default: false },
        delete: { type: 'boolean', default: true },
        concurrency: { type: 'string' },
        pass: { type: 'string', default: 'bulk' },
        bwlimit: { type: 'string' },
        durable: { type: 'boolean' },
        'state-dir': { type: 'string' },
        state: { type: 'boolean', default: true },
        'preserve-metadata': { type: 'boolean', default: true },
        'partition-from': { type: 'string' },
        'partition-to': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CopyUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (positionals.length !== 2) throw new CopyUsageError(`expected SRC and DST, got ${positionals.length} argument(s)`);
  const [source, destination] = positionals as [string, string];
  return {
    kind: 'run',
    source: resolve(cwd, source),
    destination: resolve(cwd, destination),
    verify: values.verify,
    verifyFrom: values['verify-from-storage'] === undefined ? undefined : values['verify-from-storage'] ? 'storage' : 'cache',
    checksum: values.checksum,
    concurrency: parseConcurrency(values.concurrency),
    mode: values.delete ? 'mirror' : 'merge',
    pass: parsePass(values.pass),
    bytesPerSecond: values.bwlimit === undefined ? undefined : parseRate(values.bwlimit),
    writeBack: values.durable === undefined ? undefined : values.durable ? 'pass' : 'deferred',
    stateFolder: values.state ? stateFolder(values['state-dir'], cwd, env) : undefined,
    json: values.json,
    preserveMetadata: values['preserve-metadata'],
    partition: parsePartition(values['partition-from'], values['partition-to']),
  };
}

function parsePartition(from: string | undefined, to: string | undefined): PartitionRange | undefined {
  try {
    return parsePartitionRange({ ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
  } catch (error) {
    if (error instanceof PartitionRangeError) throw new CopyUsageError(`--partition-from/--partition-to: ${error.message}`);
    throw error;
  }
}

/** --state-dir, else SMIG_STATE_DIR, else the XDG state folder of the user. */
function stateFolder(given: string | undefined, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  if (given !== undefined) {
    if (given === '') throw new CopyUsageError('--state-dir must name a folder');
    return resolve(cwd, given);
  }
  if (env['SMIG_STATE_DIR']) return resolve(cwd, env['SMIG_STATE_DIR']);
  if (env['XDG_STATE_HOME']) return join(env['XDG_STATE_HOME'], 'smig-copy');
  return env['HOME'] ? join(env['HOME'], '.local/state/smig-copy') : undefined;
}

function parseConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_CONCURRENCY) {
    throw new CopyUsageError(`--concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got '${text}'`);
  }
  return value;
}

function parsePass(text: string): CopyPass {
  if (text === 'bulk' || text === 'final') return text;
  throw new CopyUsageError(`--pass must be bulk or final, got '${text}'`);
}

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text);
  const value = match ? Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? 1) : Number.NaN;
  if (!(value >= 1)) throw new CopyUsageError(`--bwlimit must be a rate of at least 1 byte per second, like 500K or 20M, got '${text}'`);
  return Math.floor(value);
}
