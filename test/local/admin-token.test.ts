import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminTokenFileError, adminTokenFile, resolveAdminToken } from '../../local/admin-token.ts';

const asRoot = process.getuid?.() === 0;

describe('Function: resolveAdminToken', () => {
  const dirs: string[] = [];
  const dataFolder = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'smig-token-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('takes SMIG_ADMIN_TOKEN as it is and writes no file', async () => {
    // Prepare
    const dataDir = await dataFolder();

    // Act
    const admin = await resolveAdminToken(dataDir, 'from-the-environment');

    // Assess
    expect(admin).toEqual({ token: 'from-the-environment', source: 'env' });
    await expect(stat(adminTokenFile(dataDir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('generates a token into a new file with mode 600, then reads it back from there', async () => {
    // Prepare
    const dataDir = await dataFolder();

    // Act
    const generated = await resolveAdminToken(dataDir, undefined);
    const kept = await resolveAdminToken(dataDir, undefined);

    // Assess
    expect(generated.source).toBe('generated');
    expect(generated.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(kept).toEqual({ token: generated.token, source: 'file' });
    expect((await stat(adminTokenFile(dataDir))).mode & 0o777).toBe(0o600);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a kept token file with mode %s, which others can read, and leaves it as it is', async (mode) => {
    // Prepare
    const dataDir = await dataFolder();
    const file = adminTokenFile(dataDir);
    await writeFile(file, 'possibly-known-token\n');
    await chmod(file, mode);

    // Act
    const refused: unknown = await resolveAdminToken(dataDir, undefined).catch((err: unknown) => err);

    // Assess
    expect(refused).toBeInstanceOf(AdminTokenFileError);
    expect(refused).toMatchObject({ name: 'AdminTokenFileError', file });
    expect((refused as Error).message).toContain(`chmod 600 ${file}`);
    expect((refused as Error).message).not.toContain('possibly-known-token');
    expect((await stat(file)).mode & 0o777).toBe(mode);
    expect(await readFile(file, 'utf8')).toBe('possibly-known-token\n');
  });

  it.skipIf(!asRoot)('refuses a kept token file another user owns (they could replace the token)', async () => {
    // Prepare
    const dataDir = await dataFolder();
    const file = adminTokenFile(dataDir);
    await writeFile(file, 'planted-token\n', { mode: 0o600 });
    await chown(file, 65534, 65534);

    // Act
    const refused: unknown = await resolveAdminToken(dataDir, undefined).catch((err: unknown) => err);

    // Assess
    expect(refused).toBeInstanceOf(AdminTokenFileError);
    expect((refused as Error).message).toContain('belongs to user 65534');
  });

  it('replaces an empty kept token file with a generated token', async () => {
    // Prepare
    const dataDir = await dataFolder();
    await writeFile(adminTokenFile(dataDir), '', { mode: 0o600 });

    // Act
    const admin = await resolveAdminToken(dataDir, undefined);

    // Assess
    expect(admin.source).toBe('generated');
    expect((await readFile(adminTokenFile(dataDir), 'utf8')).trim()).toBe(admin.token);
  });
});
