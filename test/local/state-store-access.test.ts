import { execFile, spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateStoreInUseError, startDynalite, type DynaliteHandle } from '../../local/dynalite-server.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { tcpListenPorts } from './support/process-probes.ts';

const NOBODY = 65534;
/** Checks as another local user need root to switch to one. */
const asRoot = process.getuid?.() === 0;

const modeOf = async (file: string) => (await lstat(file)).mode & 0o777;

/** Every entry under `dir` by relative path: its type (d folder, f file, s socket) and mode, `skip`ped subtrees left out. */
async function modesUnder(dir: string, skip: readonly string[] = []): Promise<Record<string, string>> {
  const modes: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(entry.parentPath, entry.name));
    if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
    const type = entry.isDirectory() ? 'd' : entry.isSocket() ? 's' : 'f';
    modes[rel] = `${type}${(await modeOf(path.join(dir, rel))).toString(8)}`;
  }
  return modes;
}

/** A socket file as a runtime killed with SIGKILL leaves it: still there, nobody listening. */
async function socketLeftByKilledProcess(socketPath: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Runs a Node script as user nobody (setpriv) and returns what it printed: the script tries to reach
 * the state store's socket and read the data folder, and reports each outcome.
 */
async function asNobody(script: string, args: readonly string[]): Promise<Record<string, string>> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', script, ...args], { cwd: '/' }, (err, out, errOut) => {
      if (err) reject(new Error(`setpriv failed: ${errOut || String(err)}`));
      else resolve(out);
    });
  });
  return JSON.parse(stdout) as Record<string, string>;
}

/** Tries, as whoever runs it, to reach the store (its socket and any TCP port given) and read the data folder. */
const NOBODY_PROBE = `
const net = require('node:net'); const fs = require('node:fs');
const [socketPath, dataDir, tokenFile, ...ports] = process.argv.slice(1);
const outcome = (fn) => { try { fn(); return 'allowed'; } catch (err) { return err.code; } };
const connect = (target) => new Promise((resolve) => {
  const s = net.connect(target);
  s.once('connect', () => { s.destroy(); resolve('allowed'); });
  s.once('error', (err) => resolve(err.code));
});
(async () => process.stdout.write(JSON.stringify({
  connect: await connect(socketPath),
  tcpPortsReached: (await Promise.all(ports.map(async (port) => (await connect({ host: '127.0.0.1', port: Number(port) })) === 'allowed' ? port : null))).filter(Boolean),
  listDataFolder: outcome(() => fs.readdirSync(dataDir)),
  readToken: outcome(() => fs.readFileSync(tokenFile)),
})))();
`;

describe('Function: startDynalite', () => {
  const handles: DynaliteHandle[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
  });
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves the store in memory on a socket in a private folder, and listens on no TCP port', async () => {
    // Prepare
    const portsBefore = await tcpListenPorts(process.pid);

    // Act
    const store = await startDynalite();
    handles.push(store);
    const client = new DynamoDBClient(store.clientConfig);
    const tables = await client.send(new ListTablesCommand({}));
    client.destroy();

    // Assess
    expect(tables.TableNames).toEqual(expect.arrayContaining(Object.values(store.tableNames)));
    expect((await lstat(store.socketPath)).isSocket()).toBe(true);
    expect(await modeOf(store.socketPath)).toBe(0o600);
    expect(await modeOf(path.dirname(store.socketPath))).toBe(0o700);
    expect(await tcpListenPorts(process.pid)).toEqual(portsBefore);
  });

  it('narrows a store folder an earlier version left open (0755, files 0644) to 0700 and 0600', async () => {
    // Prepare: a store written once, then opened up as earlier versions left it
    const dir = await mkdtemp(path.join(tmpdir(), 'smig-store-modes-'));
    dirs.push(dir);
    const storeDir = path.join(dir, 'dynamodb');
    handles.push(await startDynalite({ path: storeDir, socketPath: path.join(dir, 'dynamodb.sock') }));
    await handles.pop()!.close();
    await chmod(storeDir, 0o755);
    for (const name of await readdir(storeDir)) await chmod(path.join(storeDir, name), 0o644);

    // Act
    handles.push(await startDynalite({ path: storeDir, socketPath: path.join(dir, 'dynamodb.sock') }));

    // Assess
    expect(await modeOf(storeDir)).toBe(0o700);
    const fileModes = Object.values(await modesUnder(storeDir));
    expect(fileModes.length).toBeGreaterThan(0);
    expect(new Set(fileModes)).toEqual(new Set(['f600']));
  });

  it('replaces a socket left by a runtime that was killed, and refuses one a running store answers on', async () => {
    // Prepare: a socket file nobody listens on any more (as kill -9 leaves it), and a live one
    const dir = await mkdtemp(path.join(tmpdir(), 'smig-store-socket-'));
    dirs.push(dir);
    const stale = path.join(dir, 'stale.sock');
    await socketLeftByKilledProcess(stale);
    expect((await lstat(stale)).isSocket()).toBe(true);
    const live = await startDynalite({ socketPath: path.join(dir, 'live.sock') });
    handles.push(live);

    // Act
    const restarted = await startDynalite({ socketPath: stale });
    handles.push(restarted);
    const second: unknown = await startDynalite({ socketPath: live.socketPath }).then((handle) => handles.push(handle), (err: unknown) => err);

    // Assess
    const client = new DynamoDBClient(restarted.clientConfig);
    expect((await client.send(new ListTablesCommand({}))).TableNames?.length).toBeGreaterThan(0);
    client.destroy();
    expect(second).toBeInstanceOf(StateStoreInUseError);
    expect((second as Error).message).toContain(live.socketPath);
  });
});

describe('Function: startLocalRuntime', () => {
  let runtime: TestRuntime | undefined;
  const parents: string[] = [];
  afterEach(async () => {
    await runtime?.destroy();
    runtime = undefined;
  });
  afterAll(async () => {
    for (const dir of parents) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the data folder 0700 and its own files 0600, also over a data folder an earlier version left open', async () => {
    // Prepare: a data folder as earlier versions left it, 0755 with a 0644 event log and store files
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-runtime-modes-'));
    await chmod(dataDir, 0o755);
    await mkdir(path.join(dataDir, 'dynamodb'), { mode: 0o755 });
    await writeFile(path.join(dataDir, 'events.jsonl'), '', { mode: 0o644 });
    await writeFile(path.join(dataDir, 'dynamodb', 'LOG.old'), 'earlier\n', { mode: 0o644 });
    await mkdir(path.join(dataDir, 'cache'), { mode: 0o755 });
    await writeFile(path.join(dataDir, 'cache', 'synthesized-workflow-0000.json'), '{}', { mode: 0o644 });

    // Act
    runtime = await startTestRuntime({ dataDir, adminToken: undefined });
    const share = await runtime.client.createShare({ name: 'modes' });
    expect(share.id).toBeTruthy();

    // Assess: the runtime's own entries (the backends' folders hold shares, whose modes are the users')
    expect(await modeOf(dataDir)).toBe(0o700);
    const modes = await modesUnder(dataDir, ['backends']);
    expect(modes).toMatchObject({ 'admin-token': 'f600', 'dynamodb': 'd700', 'dynamodb.sock': 's600', 'events.jsonl': 'f600', 'cache': 'd700' });
    expect(Object.entries(modes).filter(([, mode]) => !['d700', 'f600', 's600'].includes(mode))).toEqual([]);
  });

  it('opens no TCP listener other than the API port', async () => {
    // Prepare
    const portsBefore = await tcpListenPorts(process.pid);

    // Act
    runtime = await startTestRuntime();
    const portsOpen = await tcpListenPorts(process.pid);

    // Assess
    const apiPort = Number(new URL(runtime.runtime.url).port);
    expect(portsOpen.filter((port) => !portsBefore.includes(port))).toEqual([apiPort]);
  });

  it.skipIf(!asRoot)('lets another local user neither connect to the state store nor read the data folder', async () => {
    // Prepare: a data folder made as `mkdir .data` makes it (0755)
    const parent = await mkdtemp(path.join(tmpdir(), 'smig-other-user-'));
    parents.push(parent);
    await chmod(parent, 0o755);
    const dataDir = path.join(parent, 'data');
    await mkdir(dataDir, { mode: 0o755 });
    runtime = await startTestRuntime({ dataDir, adminToken: undefined });
    const apiPort = Number(new URL(runtime.runtime.url).port);
    const otherPorts = (await tcpListenPorts(process.pid)).filter((port) => port !== apiPort);

    // Act
    const seen = await asNobody(NOBODY_PROBE, [path.join(dataDir, 'dynamodb.sock'), dataDir, path.join(dataDir, 'admin-token'), ...otherPorts.map(String)]);

    // Assess
    expect(seen).toEqual({ connect: 'EACCES', tcpPortsReached: [], listDataFolder: 'EACCES', readToken: 'EACCES' });
  });
});
