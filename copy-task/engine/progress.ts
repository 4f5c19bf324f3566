import type { CopyPass } from '../../lambdas/core/model.ts';
import type { CopyProgress } from '../../lambdas/core/progress.ts';
import type { CopyPhase } from './types.ts';

export interface ProgressTrackerOptions {
  readonly pass: CopyPass;
  readonly intervalMs: number;
  readonly now: () => number;
  readonly emit: (progress: CopyProgress) => void;
}

/**
 * Counts the current phase's work and emits throttled snapshots. Counters are per phase: in
 * `copying` they are the files and bytes to copy, in `verifying` the files and bytes to read back,
 * in `scanning` what was found so far, in `deleting` the entries to remove. `done` carries the
 * copy's totals. Rate and ETA are the phase's average so far.
 */
export class ProgressTracker {
  readonly #options: ProgressTrackerOptions;
  #phase: CopyPhase = 'scanning';
  #phaseStart: number;
  #lastEmit = Number.NEGATIVE_INFINITY;
  #filesDone = 0;
  #filesTotal = 0;
  #bytesDone = 0;
  #bytesTotal = 0;

  constructor(options: ProgressTrackerOptions) {
    this.#options = options;
    this.#phaseStart = options.now();
  }

  startPhase(phase: CopyPhase, totals: { files: number; bytes: number } = { files: 0, bytes: 0 }): void {
    this.#phase = phase;
    this.#phaseStart = this.#options.now();
    this.#filesDone = 0;
    this.#bytesDone = 0;
    this.#filesTotal = totals.files;
    this.#bytesTotal = totals.bytes;
    this.#maybeEmit();
  }

  /** Work found while scanning: done and total grow together. */
  found(files: number, bytes: number): void {
    this.#filesTotal += files;
    this.#bytesTotal += bytes;
    this.add(files, bytes);
  }

  add(files: number, bytes: number): void {
    this.#filesDone += files;
    this.#bytesDone += bytes;
    this.#maybeEmit();
  }

  /** A file turned out bigger or smaller than when it was scanned. */
  adjustTotal(bytes: number): void {
    this.#bytesTotal = Math.max(0, this.#bytesTotal + bytes);
  }

  /** The last event: always emitted, whatever the throttle. */
  finish(copied: { files: number; bytes: number; seconds: number }): void {
    const rate = copied.seconds > 0 ? copied.bytes / copied.seconds : 0;
    this.#options.emit({
      type: 'progress',
      pass: this.#options.pass,
      phase: 'done',
      files_done: copied.files,
      files_total: copied.files,
      bytes_done: copied.bytes,
      bytes_total: copied.bytes,
      bytes_per_second: Math.round(rate),
      eta_seconds: 0,
    });
  }

  snapshot(): CopyProgress {
    const elapsed = (this.#options.now() - this.#phaseStart) / 1000;
    const measured = this.#phase === 'copying' || this.#phase === 'verifying';
    const rate = measured && elapsed > 0 ? this.#bytesDone / elapsed : 0;
    return {
      type: 'progress',
      pass: this.#options.pass,
      phase: this.#phase,
      files_done: this.#filesDone,
      files_total: Math.max(this.#filesTotal, this.#filesDone),
      bytes_done: this.#bytesDone,
      bytes_total: Math.max(this.#bytesTotal, this.#bytesDone),
      bytes_per_second: Math.round(rate),
      eta_seconds: measured ? eta(this.#bytesTotal - this.#bytesDone, rate) : null,
    };
  }

  #maybeEmit(): void {
    const now = this.#options.now();
    if (now - this.#lastEmit < this.#options.intervalMs) return;
    this.#lastEmit = now;
    this.#options.emit(this.snapshot());
  }
}

function eta(remaining: number, rate: number): number | null {
  if (remaining <= 0) return 0;
  return rate > 0 ? Math.ceil(remaining / rate) : null;
}
