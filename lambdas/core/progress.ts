import type { CopyPass } from './model.ts';

/** One progress report of the copy engine (also printed as a JSON line on stdout). */
export interface CopyProgress {
  readonly type: 'progress';
  readonly pass: CopyPass;
  /** scanning | copying | verifying | deleting | done */
  readonly phase: string;
  readonly files_done: number;
  readonly files_total: number;
  readonly bytes_done: number;
  readonly bytes_total: number;
  readonly bytes_per_second: number;
  readonly eta_seconds: number | null;
}

/** Where the copy task reports, and how it learns it was cancelled. Owned by the domain, implemented by adapters. */
export interface CopyProgressSink {
  report(progress: CopyProgress): Promise<void>;
  /**
   * `verification`: what `verified` rests on: `storage` (every copy read back from storage once
   * durable; on NFS the server's answer), `cache` (from the page cache), `none` (not verified).
   */
  finished(outcome: { pass: CopyPass; files: number; bytes: number; seconds: number; verified: boolean; verification?: 'storage' | 'cache' | 'none' }): Promise<void>;
  failed(pass: CopyPass, message: string): Promise<void>;
  cancelRequested(): Promise<boolean>;
}
