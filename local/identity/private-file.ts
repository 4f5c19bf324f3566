import { open, writeFile } from 'node:fs/promises';

/** A file of the identity service that must stay private (the configuration, the signing key) but is not. */
export class IdentityFileError extends Error {
  override readonly name = 'IdentityFileError';
  readonly file: string;

  constructor(message: string, file: string, options?: ErrorOptions) {
    super(message, options);
    this.file = file;
  }
}

/**
 * The file's content, or undefined when there is none. As for the admin token (local/admin-token.ts), a
 * file group or others can read, or that another user owns, is refused rather than quietly tightened:
 * only the operator can say whether what it holds may be known.
 */
export async function readPrivateFile(file: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const stats = await handle.stat();
    const mode = stats.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new IdentityFileError(
        `${file} has mode ${mode.toString(8).padStart(4, '0')}: group or others can read it. If no one else has read it, run "chmod 600 ${file}"; ` +
        'otherwise replace what it holds (delete the signing key to invalidate every token; change the passwords in the identity configuration).',
        file,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) {
      throw new IdentityFileError(`${file} belongs to user ${stats.uid}, not to this user (${uid}): chown it to the user that runs share-migration.`, file);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Creates the file with mode 0600 from the start ('wx': never over an existing file). */
export async function createPrivateFile(file: string, content: string | Buffer): Promise<void> {
  await writeFile(file, content, { mode: 0o600, flag: 'wx' });
}
