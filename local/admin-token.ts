import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The admin token: SMIG_ADMIN_TOKEN if set, else the one kept in `<data>/admin-token` (mode 600),
 * generated on first start.
 */
export async function resolveAdminToken(dataDir: string, fromEnv: string | undefined): Promise<{ token: string; source: 'env' | 'file' | 'generated' }> {
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const file = path.join(dataDir, 'admin-token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token) return { token, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return { token, source: 'generated' };
}
