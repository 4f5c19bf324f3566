import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { readPrivateFile } from './private-file.ts';
import path from 'node:path';

/** Where the admin token came from: only a generated one is ever shown (once, at the start that made it). */
export type AdminTokenSource = 'env' | 'file' | 'generated';

/** The token file cannot be trusted: others can read it, or someone else owns it. */
export class AdminTokenFileError extends Error {
  override readonly name = 'AdminTokenFileError';
  readonly file: string;

  constructor(message: string, file: string, options?: ErrorOptions) {
    super(message, options);
    this.file = file;
  }
}

/** The file in the data folder that keeps the admin token. */
export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

/**
 * The admin token: SMIG_ADMIN_TOKEN if set, else the one kept in `<data>/admin-token` (mode 600),
 * generated on first start.
 *
 * A kept token file that group or others can read, or that another user owns, is refused, as ssh refuses
 * a private key with loose modes, rather than quietly tightened: whoever could read it may hold the token
 * already, so only the operator can say whether to keep it (chmod 600) or replace it (delete the file and
 * a new one is generated). This runtime never writes such a file (earlier versions neither).
 */
export async function resolveAdminToken(dataDir: string, fromEnv: string | undefined): Promise<{ token: string; source: AdminTokenSource }> {
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const file = adminTokenFile(dataDir);
  const kept = await readPrivateToken(file);
  if (kept) return { token: kept, source: 'file' };
  const token = randomBytes(24).toString('base64url');
  // 'wx' and mode 600 at creation: never a moment where the token is in a file others can open.
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: kept === undefined ? 'wx' : 'w' });
  return { token, source: 'generated' };
}

/** The kept token; '' for an empty file (a new one replaces it), undefined when there is none. */
async function readPrivateToken(file: string): Promise<string | undefined> {
  const content = await readPrivateFile(file, {
    loose: (mode) => new AdminTokenFileError(
      `The admin token file ${file} has mode ${mode}: group or others can read it, so the token may be known. ` +
      `If no one else has read it, run "chmod 600 ${file}"; otherwise delete the file and a new token is generated at the next start.`,
      file,
    ),
    foreign: (owner, us) => new AdminTokenFileError(
      `The admin token file ${file} belongs to user ${owner}, not to this user (${us}), who could replace the token: ` +
      'chown it to the user that runs share-migration, or delete it and a new token is generated at the next start.',
      file,
    ),
  });
  return content?.toString('utf8').trim();
}
