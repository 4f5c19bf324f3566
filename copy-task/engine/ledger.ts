import type { SourceState } from './context.ts';
import { display } from './paths.ts';
import type { CopyFailure, CopySummary, TreeEntry } from './types.ts';

/**
 * What a run did and what went wrong. `stableSource` decides whether a source that moves under the
 * copy is normal (bulk pass: counted, left for the next pass) or a failure (final pass).
 */
export class RunLedger {
  readonly failures: CopyFailure[] = [];
  files = 0;
  bytes = 0;
  dirs = 0;
  symlinks = 0;
  deleted = 0;
  unchanged = 0;
  changed = 0;
  vanished = 0;
  verifiedFiles = 0;
  readonly #stableSource: boolean;

  constructor(stableSource: boolean) {
    this.#stableSource = stableSource;
  }

  fail(failure: CopyFailure): void {
    this.failures.push(failure);
  }

  /** Records how the source looked while `entry` was copied; false when nothing was written. */
  noteSource(entry: TreeEntry, state: SourceState): boolean {
    if (state === 'same') return true;
    if (this.#stableSource) {
      this.fail({ path: display(entry.rel), reason: STABLE_REASONS[state] });
    } else if (state === 'changed') {
      this.changed += 1;
    } else if (state === 'vanished') {
      this.vanished += 1;
    }
    return state !== 'vanished';
  }

  summary(verify: boolean, seconds: number): CopySummary {
    return {
      files: this.files,
      bytes: this.bytes,
      dirs: this.dirs,
      symlinks: this.symlinks,
      deleted: this.deleted,
      verified: verify && this.verifiedFiles === this.files && this.failures.length === 0,
      seconds: Math.round(seconds * 1000) / 1000,
      unchanged: this.unchanged,
      changed: this.changed,
      vanished: this.vanished,
    };
  }
}

const STABLE_REASONS: Record<Exclude<SourceState, 'same'>, string> = {
  updated: 'changed on the source after the scan, though the source should be read-only',
  changed: 'changed on the source while being copied, though the source should be read-only',
  vanished: 'vanished from the source, though the source should be read-only',
};
