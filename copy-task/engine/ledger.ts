import type { SourceState } from './context.ts';
import { LeftOutMetadata } from './left-out-metadata.ts';
import { display } from './paths.ts';
import type { CopyFailure, CopySummary, ReadBack, VerifyFrom } from './types.ts';

/** How many paths that kept changing a summary lists (it counts them all). */
const CHANGED_LISTED = 100;

/**
 * What a run did and what went wrong. `stableSource` decides whether a source that moves under the
 * copy is normal (bulk pass: counted and listed, left for the next pass) or a failure (final pass).
 */
export class RunLedger {
  readonly failures: CopyFailure[] = [];
  files = 0;
  bytes = 0;
  dirs = 0;
  symlinks = 0;
  hardlinks = 0;
  specials = 0;
  fixed = 0;
  deleted = 0;
  unchanged = 0;
  changed = 0;
  vanished = 0;
  verifiedFiles = 0;
  /** The verified files, by where they were read back from. */
  readonly readBack: Record<ReadBack, number> = { direct: 0, dropped: 0, cache: 0 };
  /** What the run leaves out of what the destination refuses, and the entries written without it (set once probed). */
  leftOut = new LeftOutMetadata();
  readonly #changedPaths: string[] = [];
  readonly #stableSource: boolean;
  readonly #limitations: readonly string[];
  readonly #verifyFrom: VerifyFrom;

  /** `verifyFrom`: where copies are read back from, as the run can do it (storage needs the addon). */
  constructor(stableSource: boolean, limitations: readonly string[] = [], verifyFrom: VerifyFrom = 'cache') {
    this.#stableSource = stableSource;
    this.#limitations = limitations;
    this.#verifyFrom = verifyFrom;
  }

  /** One file verified, read back from where `readBack` says. */
  noteVerified(readBack: ReadBack = 'cache'): void {
    this.verifiedFiles += 1;
    this.readBack[readBack] += 1;
  }

  fail(failure: CopyFailure): void {
    this.failures.push(failure);
  }

  /** Records how the source looked while `entry` was copied; false when nothing was written. */
  noteSource(entry: { readonly rel: Buffer }, state: SourceState): boolean {
    if (state === 'same') return true;
    if (this.#stableSource) {
      this.fail({ path: display(entry.rel), reason: STABLE_REASONS[state] });
    } else if (state === 'changed') {
      this.changed += 1;
      if (this.#changedPaths.length < CHANGED_LISTED) this.#changedPaths.push(display(entry.rel));
    } else if (state === 'vanished') {
      this.vanished += 1;
    }
    return state === 'updated';
  }

  summary(verify: boolean, seconds: number): CopySummary {
    const metadataLeftOut = this.leftOut.summary();
    return {
      files: this.files,
      bytes: this.bytes,
      dirs: this.dirs,
      symlinks: this.symlinks,
      hardlinks: this.hardlinks,
      specials: this.specials,
      fixed: this.fixed,
      deleted: this.deleted,
      verified: verify && this.verifiedFiles === this.files && this.failures.length === 0,
      verification: !verify ? 'none' : this.#verifyFrom === 'cache' || this.readBack.cache > 0 ? 'cache' : 'storage',
      readBack: { ...this.readBack },
      seconds: Math.round(seconds * 1000) / 1000,
      unchanged: this.unchanged,
      changed: this.changed,
      changedPaths: [...this.#changedPaths],
      vanished: this.vanished,
      limitations: this.#limitations,
      ...(metadataLeftOut ? { metadataLeftOut } : {}),
    };
  }
}

const STABLE_REASONS: Record<Exclude<SourceState, 'same'>, string> = {
  updated: 'changed on the source after the scan, though the source should be read-only',
  changed: 'changed on the source while being copied, though the source should be read-only',
  vanished: 'vanished from the source, though the source should be read-only',
};
