import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the engine keeps the record of the last complete pass between two roots (pass-record.ts): a
 * few hundred bytes of text under a key that names the roots (and the partition). Best effort both
 * ways: a record that cannot be read or written only costs the next pass its shortcut.
 */
export interface PassRecordStore {
  /**
   * The record may be read on another machine, or after a reboot (a copy task's store, beside the
   * migration's progress): every pass then also takes marks from the file systems' own clocks.
   */
  readonly shared: boolean;
  /** The text saved under `key`; undefined when there is none (or it cannot be read). */
  load(key: string): Promise<string | undefined>;
  save(key: string, text: string): Promise<void>;
}

/** Records in a state folder of the machine that runs the copy (`<folder>/passes/<key>.json`), as the CLI keeps them. */
export class StateFolderRecordStore implements PassRecordStore {
  readonly shared = false;
  readonly #folder: string;

  constructor(stateFolder: string) {
    this.#folder = join(stateFolder, 'passes');
  }

  async load(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.fileOf(key), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Written beside and renamed into place: a reader finds the old record or the new one, whole. */
  async save(key: string, text: string): Promise<void> {
    const file = this.fileOf(key);
    const temp = `${file}.${process.pid}`;
    try {
      await mkdir(this.#folder, { recursive: true, mode: 0o700 });
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, file);
    } catch {
      // Not remembered: the next pass reads every attribute.
    }
  }

  fileOf(key: string): string {
    return join(this.#folder, `${key}.json`);
  }
}

/** A store that keeps nothing outside this process (tests; a run that must not depend on its past). */
export class MemoryRecordStore implements PassRecordStore {
  readonly shared: boolean;
  readonly records = new Map<string, string>();

  constructor(shared = true) {
    this.shared = shared;
  }

  async load(key: string): Promise<string | undefined> {
    return this.records.get(key);
  }

  async save(key: string, text: string): Promise<void> {
    this.records.set(key, text);
  }
}
