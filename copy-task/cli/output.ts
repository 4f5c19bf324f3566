import type { CopyPass } from '../../lambdas/core/model.ts';
import type { CopyProgress } from '../../lambdas/core/progress.ts';
import { CopyFailedError, describeLeftOut, type CopySummary } from '../engine/index.ts';

export interface TextSink {
  write(text: string): unknown;
}

/** How the CLI shows what happens: JSON lines for programs, plain lines for people. */
export interface CliOutput {
  progress(progress: CopyProgress): void;
  summary(pass: CopyPass, summary: CopySummary): void;
  error(error: unknown, exitCode: number): void;
}

/** Progress and summary as one JSON object per line on stdout; errors as JSON lines on stderr. */
export function jsonOutput(stdout: TextSink, stderr: TextSink): CliOutput {
  return {
    progress: (progress) => stdout.write(`${JSON.stringify(progress)}\n`),
    summary: (pass, summary) => stdout.write(`${JSON.stringify({ type: 'summary', pass, ...summary })}\n`),
    error: (error, exitCode) => stderr.write(`${JSON.stringify(errorRecord(error, exitCode))}\n`),
  };
}

/** Progress lines and errors on stderr, the summary on stdout. */
export function textOutput(stdout: TextSink, stderr: TextSink): CliOutput {
  return {
    progress: (progress) => stderr.write(`${formatProgress(progress)}\n`),
    summary: (_pass, summary) => stdout.write(`${formatSummary(summary)}\n`),
    error: (error) => {
      const { message, failures } = errorRecord(error, 0);
      const listed = (failures ?? []).map((f) => `  ${f.path}: ${f.reason}\n`).join('');
      stderr.write(`smig-copy: ${failures ? `copy failed for ${failures.length} path(s)` : message}\n${listed}`);
    },
  };
}

export function errorRecord(error: unknown, exitCode: number) {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const failures = error instanceof CopyFailedError ? error.failures : undefined;
  return { type: 'error' as const, error: name, message, exit_code: exitCode, ...(failures ? { failures } : {}) };
}

export function formatProgress(p: CopyProgress): string {
  const eta = p.eta_seconds === null ? '' : `  ETA ${p.eta_seconds}s`;
  const rate = p.bytes_per_second > 0 ? `  ${formatBytes(p.bytes_per_second)}/s` : '';
  return `[${p.pass}] ${p.phase.padEnd(9)} ${p.files_done}/${p.files_total} files  ${formatBytes(p.bytes_done)}/${formatBytes(p.bytes_total)}${rate}${eta}`;
}

export function formatSummary(s: CopySummary): string {
  const verified = !s.verified ? 'not verified' : s.verification === 'storage' ? `verified from storage (${readBackText(s)})` : 'verified from the page cache';
  const changed = s.changedPaths.length > 0 ? `\nkept changing, left for the next pass: ${s.changedPaths.join(', ')}` : '';
  const limits = s.limitations.map((limitation) => `\nnot preserved: ${limitation}`).join('');
  const leftOut = s.metadataLeftOut ? `\n${describeLeftOut(s.metadataLeftOut)}` : '';
  return (
    `copied ${s.files} file(s), ${formatBytes(s.bytes)}; ${s.dirs} folder(s), ${s.symlinks} symbolic link(s), ` +
    `${s.hardlinks} hard link(s) and ${s.specials} special file(s) created; ${s.fixed} fixed, ` +
    `${s.deleted} deleted, ${s.unchanged} unchanged, ${s.changed} changed during copy, ${s.vanished} vanished; ${verified}; ${s.seconds}s` +
    changed +
    limits +
    leftOut
  );
}

/** How the copies were read back, e.g. "3 with O_DIRECT, 1 after dropping cached pages". */
function readBackText(s: CopySummary): string {
  const parts = [
    s.readBack.direct > 0 ? `${s.readBack.direct} with O_DIRECT` : '',
    s.readBack.dropped > 0 ? `${s.readBack.dropped} after dropping cached pages` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no file copied';
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
