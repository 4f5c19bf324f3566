import type { CopyPass } from '../../lambdas/core/model.ts';
import type { CopyProgress } from '../../lambdas/core/progress.ts';

/** What the destination ends as: `mirror` removes what the source does not have, `merge` keeps it. */
export type CopyMode = 'mirror' | 'merge';

export type CopyPhase = 'scanning' | 'copying' | 'verifying' | 'deleting' | 'done';

export interface CopyHooks {
  /**
   * Called after a regular file was renamed to its final name and before verification.
   * For instrumentation and tests (e.g. to corrupt a copy and see verification catch it).
   */
  readonly afterCopy?: (file: { readonly path: string; readonly source: string; readonly destination: string }) => void | Promise<void>;
}

export interface CopyOptions {
  /** @default 'mirror' */
  readonly mode?: CopyMode;
  /** Checksum (sha256) every copied file by reading source and destination back. @default true */
  readonly verify?: boolean;
  /** Files copied, verified or deleted at once. @default 8 */
  readonly concurrency?: number;
  /** Which pass this run is; labels the progress events. @default 'bulk' */
  readonly pass?: CopyPass;
  /**
   * The source must not change during the run (the final pass, after it went read-only): a file that
   * changes or vanishes while copied fails the run instead of being left for the next pass.
   * @default pass === 'final'
   */
  readonly stableSource?: boolean;
  /** Caps reads from the source, to spare a share users are working on. @default unlimited */
  readonly bytesPerSecond?: number;
  /** Stops the run promptly; it then rejects with CopyAbortedError. */
  readonly signal?: AbortSignal;
  /** Progress, at most one event per `progressIntervalMs`, plus a final `done` event. */
  readonly onProgress?: (progress: CopyProgress) => void;
  /** @default 500 */
  readonly progressIntervalMs?: number;
  readonly hooks?: CopyHooks;
  /**
   * The mode the destination must give a source entry, from the path (bytes, relative to the source
   * root, empty for the root) and the mode lstat reported. A source whose read-only mode stripped
   * write bits maps them back to the originals. @default the mode lstat reported
   */
  readonly sourceModes?: (rel: Buffer, statMode: number) => number;
}

export interface CopySummary {
  /** Regular files whose data was copied by this run. */
  readonly files: number;
  /** Bytes of file data copied by this run. */
  readonly bytes: number;
  /** Folders created below the destination root. */
  readonly dirs: number;
  /** Symbolic links created or replaced on the destination. */
  readonly symlinks: number;
  /** Destination entries removed: extras (mirror), entries of another type in the way, stale temp files. */
  readonly deleted: number;
  /** Verification was on and every file copied by this run matched its source. */
  readonly verified: boolean;
  readonly seconds: number;
  /** Regular files left as they were: size and mtime already matched. */
  readonly unchanged: number;
  /** Files that changed on the source while copied (a bulk pass leaves them for the next pass). */
  readonly changed: number;
  /** Entries that disappeared from the source between the scan and their copy. */
  readonly vanished: number;
}

/** A path the run could not copy, and why. */
export interface CopyFailure {
  /** Relative to the roots ('.' is the root itself). */
  readonly path: string;
  readonly reason: string;
  /** The errno code when the failure came from a system call (EACCES, ENOTDIR, ...). */
  readonly code?: string;
}

export type EntryKind = 'file' | 'dir' | 'symlink' | 'unsupported';

/** One entry of a scanned tree, as lstat saw it. Paths are bytes: names need not be UTF-8. */
export interface TreeEntry {
  /** Path relative to the root, '/'-separated; empty for the root itself. */
  readonly rel: Buffer;
  readonly kind: EntryKind;
  /** socket, fifo, block device, character device (for `unsupported`). */
  readonly typeName: string;
  readonly size: number;
  /** Permission bits, including setuid, setgid and sticky. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  /** The link's target, exactly as stored (symlinks only). */
  readonly target?: Buffer;
}
