import { CopyExitCode } from '../../lambdas/core/workflow.ts';
import { copyTree } from '../engine/index.ts';
import { runPlan } from '../partition/plan-command.ts';
import { exitCodeFor, type ExitCode } from '../runtime/exit-codes.ts';
import { onStopSignal, type SignalSource } from '../runtime/signals.ts';
import { parseCliArgs, USAGE, type CliRun } from './args.ts';
import { runBoundary } from './boundary-command.ts';
import { jsonOutput, textOutput, type CliOutput, type TextSink } from './output.ts';

export interface CliIo {
  readonly stdout: TextSink & { readonly isTTY?: boolean };
  readonly stderr: TextSink;
  readonly signals: SignalSource;
  /** Called on a second stop signal, when the first did not stop the run. */
  readonly forceExit?: (code: ExitCode) => void;
}

/** `smig-copy [options] SRC DST`: returns the exit code (see CopyExitCode). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let command;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    const json = wantsJson(io, argv.includes('--json') || undefined);
    pickOutput(io, json).error(error, CopyExitCode.USAGE);
    if (!json) io.stderr.write("Try 'smig-copy --help'.\n");
    return CopyExitCode.USAGE;
  }
  if (command.kind === 'help') {
    io.stdout.write(command.usage ?? USAGE);
    return CopyExitCode.OK;
  }
  if (command.kind === 'plan') return runPlan(command, io);
  if (command.kind !== 'run') return runBoundary(command, io);
  return copy(command, pickOutput(io, wantsJson(io, command.json)), io);
}

async function copy(command: CliRun, output: CliOutput, io: CliIo): Promise<ExitCode> {
  const controller = new AbortController();
  const stopListening = onStopSignal(io.signals, (signal) => {
    if (controller.signal.aborted) io.forceExit?.(CopyExitCode.CANCELLED);
    controller.abort(signal);
  });
  try {
    const summary = await copyTree(command.source, command.destination, {
      mode: command.mode,
      verify: command.verify,
      ...(command.verifyFrom ? { verifyFrom: command.verifyFrom } : {}),
      checksum: command.checksum,
      ...(command.concurrency === undefined ? {} : { concurrency: command.concurrency }),
      pass: command.pass,
      bytesPerSecond: command.bytesPerSecond,
      ...(command.writeBack ? { writeBack: command.writeBack } : {}),
      ...(command.stateFolder ? { stateFolder: command.stateFolder } : {}),
      preserveMetadata: command.preserveMetadata,
      ...(command.partition ? { partition: command.partition } : {}),
      signal: controller.signal,
      onProgress: (progress) => output.progress(progress),
    });
    output.summary(command.pass, summary);
    return CopyExitCode.OK;
  } catch (error) {
    const code = exitCodeFor(error);
    output.error(error, code);
    return code;
  } finally {
    stopListening();
  }
}

/** JSON when asked for, or when stdout is not a terminal (a program is reading). */
function wantsJson(io: CliIo, json: boolean | undefined): boolean {
  return json ?? !io.stdout.isTTY;
}

function pickOutput(io: CliIo, json: boolean): CliOutput {
  return json ? jsonOutput(io.stdout, io.stderr) : textOutput(io.stdout, io.stderr);
}
