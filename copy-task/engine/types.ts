import type { CopyPass } from '../../lambdas/core/model.ts';
import type { CopyProgress } from '../../lambdas/core/progress.ts';
import type { ReadBack } from '../native/index.ts';
import type { PartitionRange } from './partition-range.ts';
import type { PassRecordStore } from './pass-record-store.ts';

/** What the destination ends as: `mirror` removes what the source does not have, `merge` keeps it. */
export type CopyMode = 'mirror' | 'merge';

/**
 * Content compares (`checksum`, or after a run cut short) and verification both happen inside
 * `copying`, folder by folder, so runs no longer report `comparing` or `verifying`; the names stay for readers
 * of older progress.
 */
export type CopyPhase = 'scanning' | 'comparing' | 'copying' | 'verifying' | 'deleting' | 'done';

export interface CopyHooks {
  /**
   * Called once a regular file's data is written and before it is verified and renamed to its final
   * name: `destination` is the file holding the copy (a temp name in the destination folder). Called
   * again for each further attempt. For instrumentation and tests (e.g. to corrupt a copy and see
   * verification catch it).
   */
  readonly afterCopy?: (file: { readonly path: string; readonly source: string; readonly destination: string }) => void | Promise<void>;
}

export interface CopyOptions {
  /** @default 'mirror' */
  readonly mode?: CopyMode;
  /**
   * Verify every entry written: a file's data is hashed (sha256) as it is read from the source and
   * compared with the copy read back before it takes its final name, and the metadata written
   * (mode, owner, times, extended attributes) is read back and compared. A mismatching copy is made
   * again once, then the run fails. @default true
   */
  readonly verify?: boolean;
  /**
   * Where verification reads each copy back from. `storage`: once all the copy's data is written, it
   * is made durable (fdatasync) and read past the page cache (O_DIRECT; where the file system refuses
   * that, after dropping the file's cached pages), so the digest is of what the disk holds, or on NFS
   * of what the server answers. `cache`: each chunk right after it is written, from the page cache,
   * which on NFS is the client's memory and says little of what the server stored. Needs the native
   * addon (without it copies are read back from the cache, and the summary says so).
   * @default 'storage' for the final pass, 'cache' for a bulk pass
   */
  readonly verifyFrom?: VerifyFrom;
  /**
   * Compare content, not only size and mtime, to decide whether a file is up to date: files whose
   * size and mtime match are hashed on both sides and copied if they differ. @default false
   */
  readonly checksum?: boolean;
  /**
   * Threads copying at once (with the addon: its worker threads; without it, files in flight). More
   * than the cores pays on network file systems, where each call waits on the server.
   * @default the cores where both roots are on local file systems, 8 where either is not
   */
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
  /**
   * When what the pass wrote must be on stable storage. `pass`: before the pass reports success (one
   * syncfs at its end; large files are handed to the disk as they are copied), as the pipeline needs
   * before it switches a share over or records a pass as done. `deferred`: left to the kernel, as cp
   * and rsync leave it; the journal in the destination root records the machine's boot, so a run
   * after a restart compares by content what may not have reached the disk (see durability.ts).
   * @default 'pass' for the final pass, 'deferred' for a bulk pass
   */
  readonly writeBack?: WriteBack;
  /**
   * A folder (outside both trees) where the engine remembers the last complete pass between two
   * roots, so that the next pass does not read again the extended attributes of entries unchanged
   * since (see pass-record.ts: local file systems only). @default none: every pass reads them all
   */
  readonly stateFolder?: string;
  /**
   * Where the record of the last complete pass is kept instead of `stateFolder` (pass-record-store.ts):
   * a copy task's store beside its migration's progress, which the next task finds on any machine.
   */
  readonly passRecords?: PassRecordStore;
  /** Stops the run promptly; it then rejects with CopyAbortedError. */
  readonly signal?: AbortSignal;
  /** Progress, at most one event per `progressIntervalMs`, plus a final `done` event. */
  readonly onProgress?: (progress: CopyProgress) => void;
  /** @default 500 */
  readonly progressIntervalMs?: number;
  readonly hooks?: CopyHooks;
  /**
   * Modes the destination must give source entries instead of the mode lstat reports, by path
   * (keyOf of the path relative to the source root: one char a byte; '' for the root): a source whose
   * read-only mode stripped write bits gives its original modes. @default none
   */
  readonly sourceModes?: ReadonlyMap<string, number>;
  /**
   * Whether extended attributes, POSIX ACLs and owners must arrive. True: an attribute the destination
   * refuses to store fails its entry (nothing is dropped; see refused-metadata.ts), and so does an owner
   * it refuses to give (as root). False (a migration started with preserve_metadata=False): the kinds the
   * destination refuses (probed at the start of the run: left-out-metadata.ts) are left out, neither set
   * nor compared (entries keep the owner the destination gives them), and the entries written without
   * them are counted in the summary (`metadataLeftOut`); data, modes and times are copied as ever. @default true
   */
  readonly preserveMetadata?: boolean;
  /**
   * Copy only this partition of the tree (partition-range.ts): entries of either side outside it are
   * invisible (neither copied, compared, deleted nor counted), and its boundary folders (the root and
   * the ancestors of its ends) are gone through, made where missing, but neither deleted nor given
   * their attributes (sealPartitions does that once every partition ran). @default the whole tree
   */
  readonly partition?: PartitionRange;
}

export type WriteBack = 'pass' | 'deferred';

export type VerifyFrom = 'storage' | 'cache';
/** How a run's copies were verified: every one read back from storage, from the cache (at least one), or not at all. */
export type Verification = VerifyFrom | 'none';
export type { ReadBack } from '../native/index.ts';

export interface CopySummary {
  /** Regular files whose data was copied by this run. */
  readonly files: number;
  /** Bytes of file data copied by this run. */
  readonly bytes: number;
  /** Folders created below the destination root. */
  readonly dirs: number;
  /** Symbolic links created or replaced on the destination. */
  readonly symlinks: number;
  /** Hard links made on the destination (each further name of a file with several within the tree). */
  readonly hardlinks: number;
  /** FIFOs, sockets and device nodes created or replaced on the destination. */
  readonly specials: number;
  /** Entries whose metadata alone (mode, owner, times, extended attributes) was brought up to date. */
  readonly fixed: number;
  /** Destination entries removed: extras (mirror), entries of another type in the way, stale temp files. */
  readonly deleted: number;
  /** Verification was on and every file copied by this run matched its source. */
  readonly verified: boolean;
  /**
   * What `verified` rests on: `storage` when every copy was read back from storage once durable (on
   * NFS, the server's answer), `cache` when any was read back from the page cache (see
   * CopyOptions.verifyFrom), `none` without verification.
   */
  readonly verification: Verification;
  /**
   * The copies this run verified, by where they were read back from: `direct` (O_DIRECT), `dropped`
   * (their cached pages dropped first, where the file system refuses O_DIRECT), `cache`.
   */
  readonly readBack: Readonly<Record<ReadBack, number>>;
  readonly seconds: number;
  /** Regular files left as they were: size and mtime already matched. */
  readonly unchanged: number;
  /** Files that kept changing on the source while copied, attempt after attempt (a bulk pass leaves them for the next pass). */
  readonly changed: number;
  /** The first of those files (at most 100), so the pass reports them rather than claiming them copied. */
  readonly changedPaths: readonly string[];
  /** Entries that disappeared from the source between the scan and their copy. */
  readonly vanished: number;
  /**
   * What this run could not preserve because the native addon (copy-task/native) is not loaded;
   * empty when it is. A run with limitations is not a faithful copy.
   */
  readonly limitations: readonly string[];
  /**
   * The entries this run wrote without the extended attributes, POSIX ACLs or owner their source has, which
   * the destination refuses to store or give (CopyOptions.preserveMetadata false); absent when it left none out.
   */
  readonly metadataLeftOut?: MetadataLeftOut;
}

/** Entries written without some of their source's metadata, of one kind: how many, and the first few. */
export interface LeftOutEntries {
  readonly entries: number;
  readonly examples: readonly string[];
}

/**
 * What a run left out, by kind: POSIX ACLs, every other extended attribute, and owners (entries that kept
 * the owner the destination gave them, other than their source's).
 */
export interface MetadataLeftOut {
  readonly xattrs: LeftOutEntries;
  readonly acls: LeftOutEntries;
  readonly owners: LeftOutEntries;
}

/** A path the run could not copy, and why. */
export interface CopyFailure {
  /** Relative to the roots ('.' is the root itself). */
  readonly path: string;
  readonly reason: string;
  /** The errno code when the failure came from a system call (EACCES, ENOTDIR, ...). */
  readonly code?: string;
}

/** `special`: a FIFO, a socket or a device node (recreated with mknod); `unsupported`: a type Linux does not define. */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'special' | 'unsupported';

/**
 * Extended attributes, sorted by name: [name as latin1 (one char per byte), value]. POSIX ACLs are
 * among them (system.posix_acl_access, system.posix_acl_default).
 */
export type Xattrs = readonly (readonly [name: string, value: Buffer])[];

/** One entry of a scanned tree, as lstat saw it. Paths are bytes: names need not be UTF-8. */
export interface TreeEntry {
  /** Path relative to the root, '/'-separated; empty for the root itself. */
  readonly rel: Buffer;
  readonly kind: EntryKind;
  /** file, folder, symbolic link, fifo, character device, block device, socket. */
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
  /** Status change time: the source is re-copied if it moves while being copied. */
  readonly ctimeNs?: bigint;
  /** `dev:ino` of a regular file with more than one name (nlink > 1); undefined for one name. */
  readonly linkKey?: string;
  /** Type bits (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK) and device number of a `special` entry. */
  readonly format?: number;
  readonly rdev?: bigint;
  /** Undefined when the entry has none, or when they cannot be read (no native addon). */
  readonly xattrs?: Xattrs;
  /**
   * The kinds (LEAVE_OUT_XATTRS, LEAVE_OUT_ACLS) of its attributes left out of `xattrs`: the run leaves
   * out what the destination refuses (CopyOptions.preserveMetadata false). Absent: none.
   */
  readonly leftOut?: number;
}
