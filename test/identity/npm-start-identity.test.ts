import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { passwordToken } from './identity-fixture.ts';

/** `npm start` on port 0 (a free port): the banner says which. */
function startMain(dataDir: string): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['local/main.ts'], {
    env: { ...process.env, SMIG_DATA_DIR: dataDir, SMIG_PORT: '0', SMIG_ADMIN_TOKEN: 'start-test-token', POWERTOOLS_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function banner(started: { output: () => string }): Promise<string> {
  for (let i = 0; i < 600 && !/openstack: /.test(started.output()); i++) await new Promise((r) => setTimeout(r, 100));
  return started.output();
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('npm start (local/main.ts): the embedded Keystone', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('prints OS_AUTH_URL and the generated admin password once; the password signs in; a restart does not print it again', async () => {
    // Prepare
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-start-identity-'));
    dirs.push(dataDir);

    // Act
    const first = startMain(dataDir);
    const firstOutput = await banner(first);
    const authUrl = /Keystone \(v3\):\s+(\S+)/.exec(firstOutput)?.[1];
    const password = /admin password:\s+(\S+)/.exec(firstOutput)?.[1];
    const signIn = await passwordToken(authUrl!.replace(/\/identity\/v3$/, ''), { name: 'admin', domain: { name: 'Default' } }, password!, { project: { name: 'admin', domain: { name: 'Default' } } });
    expect(await stop(first.child)).toBe(0);
    const second = startMain(dataDir);
    const secondOutput = await banner(second);
    expect(await stop(second.child)).toBe(0);

    // Assess
    expect(authUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/identity\/v3$/);
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(signIn.status).toBe(201);
    expect(secondOutput).not.toContain(password!);
    expect(secondOutput).toContain(`users:            ${path.join(dataDir, 'identity.json')} (docs/identity.md)`);
  });
});
