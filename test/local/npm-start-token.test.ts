import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startMain, stopMain, waitForAnswer, waitForOutput } from './support/process-probes.ts';

const occurrences = (text: string, token: string) => text.split(token).length - 1;

describe('npm start (local/main.ts)', () => {
  const dirs: string[] = [];
  const dataFolder = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'smig-npm-start-'));
    dirs.push(dir);
    return path.join(dir, 'data');
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  describe('Admin token', () => {
    it('prints a generated token once, at the start that generated it, and at later starts only where it is kept', async () => {
      // Prepare
      const dataDir = await dataFolder();
      const port = await freePort();

      // Act
      const first = startMain({ SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port) });
      await waitForOutput(first, /share-migration is up[\s\S]*try:.*\n/);
      expect(await stopMain(first)).toBe(0);
      const second = startMain({ SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port) });
      await waitForOutput(second, /share-migration is up[\s\S]*try:.*\n/);
      expect(await stopMain(second)).toBe(0);

      // Assess
      const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
      expect(occurrences(first.output(), token)).toBe(1);
      expect(occurrences(second.output(), token)).toBe(0);
      expect(second.output()).toContain(`admin token:      kept in ${path.join(dataDir, 'admin-token')}`);
    });

    it('never prints a token that came from SMIG_ADMIN_TOKEN', async () => {
      // Prepare
      const dataDir = await dataFolder();
      const port = await freePort();
      const token = 'operator-chosen-token-0123456789';

      // Act
      const main = startMain({ SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port), SMIG_ADMIN_TOKEN: token });
      await waitForOutput(main, /share-migration is up[\s\S]*try:.*\n/);
      const answered = await fetch(`http://127.0.0.1:${port}/v2/scheduler-stats/pools`, { headers: { 'X-Auth-Token': token } });
      expect(await stopMain(main)).toBe(0);

      // Assess
      expect(answered.status).toBe(200);
      expect(occurrences(main.output(), token)).toBe(0);
      expect(main.output()).toContain('admin token:      from SMIG_ADMIN_TOKEN');
      await expect(lstat(path.join(dataDir, 'admin-token'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('refuses to start with a token file others can read, saying what to do, without printing it', async () => {
      // Prepare
      const dataDir = await dataFolder();
      const port = await freePort();
      await mkdir(dataDir, { mode: 0o700 });
      const file = path.join(dataDir, 'admin-token');
      await writeFile(file, 'world-readable-token\n');
      await chmod(file, 0o644);

      // Act
      const main = startMain({ SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port) });
      const code = await main.exited;

      // Assess
      expect(code).toBe(1);
      expect(main.output()).toContain(`chmod 600 ${file}`);
      expect(main.output()).not.toContain('world-readable-token');
      await expect(waitForAnswer(`http://127.0.0.1:${port}/`, 200)).rejects.toThrow();
    });
  });

  describe('Data folder', () => {
    it('writes every file of its own 0600 and every folder 0700, the state store files too', async () => {
      // Prepare
      const dataDir = await dataFolder();
      const port = await freePort();
      const main = startMain({ SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port) });
      await waitForOutput(main, /share-migration is up/);
      const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();

      // Act: a write through the API (the store's log, the event log)
      const created = await fetch(`http://127.0.0.1:${port}/v2/shares`, {
        method: 'POST',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'X-OpenStack-Manila-API-Version': '2.72' },
        body: JSON.stringify({ share: { share_proto: 'NFS', size: 1, name: 'modes' } }),
      });
      expect(created.status).toBe(200);
      expect(await stopMain(main)).toBe(0);

      // Assess: the runtime's own entries (the backends' folders hold shares, whose modes are the users')
      const loose: string[] = [];
      expect((await lstat(dataDir)).mode & 0o777).toBe(0o700);
      for (const entry of await readdir(dataDir, { recursive: true, withFileTypes: true })) {
        const file = path.join(entry.parentPath, entry.name);
        const rel = path.relative(dataDir, file);
        if (rel === 'backends' || rel.startsWith('backends/')) continue;
        const mode = (await lstat(file)).mode & 0o777;
        if (mode !== (entry.isDirectory() ? 0o700 : 0o600)) loose.push(`${rel} ${mode.toString(8)}`);
      }
      expect(loose).toEqual([]);
    });
  });
});
