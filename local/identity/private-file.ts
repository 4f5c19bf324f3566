import { readPrivateFile as readOwnFile } from '../private-file.ts';

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
 * An identity file's content, or undefined when there is none; a file others may read or that another
 * user owns is refused (local/private-file.ts).
 */
export async function readPrivateFile(file: string): Promise<Buffer | undefined> {
  return readOwnFile(file, {
    loose: (mode) => new IdentityFileError(
      `${file} has mode ${mode}: group or others can read it. If no one else has read it, run "chmod 600 ${file}"; ` +
      'otherwise replace what it holds (delete the signing key to invalidate every token; change the passwords in the identity configuration).',
      file,
    ),
    foreign: (owner, us) => new IdentityFileError(`${file} belongs to user ${owner}, not to this user (${us}): chown it to the user that runs share-migration.`, file),
  });
}

export { createPrivateFile } from '../private-file.ts';
