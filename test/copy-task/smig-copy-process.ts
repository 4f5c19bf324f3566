import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = join(import.meta.dirname, '../../copy-task/bin/smig-copy.ts');

export interface SmigCopyRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string[];
  readonly stderr: string;
}

export interface SmigCopyOptions {
  /** Sees each stdout line as it comes, with the child (to signal it). */
  readonly onLine?: (line: string, child: ChildProcess) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
}

/** Runs the smig-copy CLI as a child process, as an operator or the container would. */
export function runSmigCopy(args: readonly string[], options: SmigCopyOptions = {}): Promise<SmigCopyRun> {
  const child = spawn(process.execPath, [BIN, '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      options.onLine?.(line, child);
    });
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function jsonLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The summary line of a finished run. */
export function summaryOf(run: SmigCopyRun): Record<string, unknown> {
  const summary = jsonLines(run.stdout).find((line) => line['type'] === 'summary');
  if (!summary) throw new Error(`no summary (exit ${run.code}, signal ${run.signal}): ${run.stderr}`);
  return summary;
}
