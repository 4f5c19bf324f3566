import { rename, writeFile } from 'node:fs/promises';
import type { RevocationList } from '../../lambdas/core/identity/keystone-identity.ts';
import { readPrivateFile } from './private-file.ts';

/**
 * Revoked token ids, kept in memory and in a small file (`{"<token id>": <expires_at ms>}`) so a revoked
 * token stays revoked after a restart. An entry is dropped once its token would have expired anyway.
 */
export class FileRevocationList implements RevocationList {
  private readonly file: string;
  private readonly revoked: Map<string, number>;
  private readonly now: () => number;
  private writing: Promise<void> = Promise.resolve();

  private constructor(file: string, revoked: Map<string, number>, now: () => number) {
    this.file = file;
    this.revoked = revoked;
    this.now = now;
  }

  static async open(file: string, now: () => number = Date.now): Promise<FileRevocationList> {
    const content = await readPrivateFile(file);
    const revoked = new Map<string, number>();
    if (content !== undefined) {
      const parsed: unknown = JSON.parse(content.toString('utf8') || '{}');
      for (const [id, expiresAt] of Object.entries(parsed as Record<string, unknown>)) {
        if (typeof expiresAt === 'number' && expiresAt > now()) revoked.set(id, expiresAt);
      }
    }
    return new FileRevocationList(file, revoked, now);
  }

  isRevoked(tokenId: string): boolean {
    return this.revoked.has(tokenId);
  }

  async revoke(tokenId: string, expiresAt: number): Promise<void> {
    const now = this.now();
    for (const [id, expiry] of this.revoked) if (expiry <= now) this.revoked.delete(id);
    this.revoked.set(tokenId, expiresAt);
    const snapshot = JSON.stringify(Object.fromEntries(this.revoked));
    // One write at a time, each the whole list: written aside and renamed, so a crash leaves the old list or the new.
    const write = this.writing.then(async () => {
      const temporary = `${this.file}.tmp`;
      await writeFile(temporary, snapshot, { mode: 0o600 });
      await rename(temporary, this.file);
    });
    this.writing = write.catch(() => undefined);
    await write;
  }
}
