#!/usr/bin/env node
/**
 * `npm run demo`: starts the embedded runtime in-process (in a fresh data folder, on a free port),
 * creates a share on alpha, fills it, migrates it to beta through the HTTP API while printing
 * progress, completes it, checks the destination equals the source, and prints a summary.
 * Exits 0 only if all of that held.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startLocalRuntime, type LocalRuntime } from './runtime.ts';
import { ManilaClient } from './manila-client.ts';
import { describeTree } from './tree-digest.ts';

// The demo prints its own story; the runtime's request logs would drown it (override with POWERTOOLS_LOG_LEVEL).
process.env['POWERTOOLS_LOG_LEVEL'] ??= 'WARN';

const SOURCE = 'local@alpha#default';
const DESTINATION = 'local@beta#default';
const FILES = Number(process.env['SMIG_DEMO_FILES'] ?? 3000);
const LARGE_FILE_MB = Number(process.env['SMIG_DEMO_LARGE_MB'] ?? 64);

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Nested folders, small files, symlinks (relative and dangling) and one large file of random data. */
async function fillShare(root: string): Promise<{ files: number; bytes: number }> {
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(root, `project-${i % 12}`, `module-${i % 7}`, `part-${i % 5}`);
    await mkdir(dir, { recursive: true });
    const content = `file ${i}\n`.repeat(1 + (i % 200));
    bytes += Buffer.byteLength(content);
    await writeFile(path.join(dir, `doc-${i}.txt`), content);
  }
  for (let i = 0; i < 20; i++) {
    await symlink(`../module-${i % 7}`, path.join(root, `project-${i % 12}`, `link-${i}`)).catch(() => undefined);
  }
  await symlink('/nowhere/at/all', path.join(root, 'dangling-link'));
  const large = randomBytes(LARGE_FILE_MB * 1024 * 1024);
  await writeFile(path.join(root, 'large.bin'), large);
  bytes += large.length;
  return { files: FILES + 1, bytes };
}

async function waitFor(client: ManilaClient, shareId: string, states: string[], onProgress: (p: Awaited<ReturnType<ManilaClient['progress']>>) => void): Promise<string> {
  const deadline = Date.now() + 10 * 60_000;
  let lastLine = '';
  while (Date.now() < deadline) {
    const share = await client.share(shareId);
    if (states.includes(share.task_state)) return share.task_state;
    if (share.task_state && share.task_state !== 'migration_starting') {
      const progress = await client.progress(shareId).catch(() => null);
      if (progress) {
        const line = JSON.stringify(progress);
        if (line !== lastLine) onProgress(progress);
        lastLine = line;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Share ${shareId} did not reach ${states.join(' or ')} within 10 minutes`);
}

async function main(): Promise<void> {
  const started = Date.now();
  await mkdir('.data', { recursive: true });
  const dataDir = await mkdtemp(path.resolve('.data', 'demo-'));
  let runtime: LocalRuntime | undefined;
  try {
    runtime = await startLocalRuntime({ dataDir, port: 0 });
    say(`embedded runtime up at ${runtime.url} (data in ${dataDir})`);
    const client = new ManilaClient(runtime.url, runtime.adminToken);

    const share = await client.createShare({ name: 'demo-share', sizeGb: 1, onlyHost: SOURCE });
    say(`created share ${share.id} on ${share.host}`);
    const sourcePath = await client.exportPath(share.id);
    const filled = await fillShare(sourcePath);
    await client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.0.0.0/24', access_level: 'rw' } });
    const sourceTree = await describeTree(sourcePath);
    say(`filled it with ${filled.files} files (${(filled.bytes / 1048576).toFixed(1)} MiB), folders and symlinks`);

    const migrationStarted = Date.now();
    const start = await client.startMigration(share.id, DESTINATION);
    if (start.status !== 202) throw new Error(`migration_start refused: ${JSON.stringify(start.body)}`);
    say(`migration_start → ${DESTINATION} accepted`);
    const printProgress = (p: { task_state: string; total_progress: number; details: Record<string, unknown> }) => {
      const d = p.details;
      say(`  ${p.task_state.padEnd(26)} ${String(p.total_progress).padStart(3)}%  ${d['pass'] ?? ''} ${d['phase'] ?? ''} files ${d['files_done'] ?? 0}/${d['files_total'] ?? 0}`);
    };
    const phase1 = await waitFor(client, share.id, ['data_copying_completed', 'migration_driver_phase1_done', 'migration_error', 'migration_cancelled'], printProgress);
    if (phase1 === 'migration_error' || phase1 === 'migration_cancelled') throw new Error(`phase 1 ended in ${phase1}: ${JSON.stringify((await client.migrations(share.id))[0]?.error)}`);
    say('phase 1 done; the share stayed writable. migration_complete →');
    await client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const final = await waitFor(client, share.id, ['migration_success', 'migration_error', 'migration_cancelled'], printProgress);
    const migrationSeconds = (Date.now() - migrationStarted) / 1000;
    const [migration] = await client.migrations(share.id);
    if (final !== 'migration_success') throw new Error(`migration ended in ${final}: ${JSON.stringify(migration?.error)}`);

    const after = await client.share(share.id);
    const destinationPath = await client.exportPath(share.id);
    const destinationTree = await describeTree(destinationPath);
    const differences = Object.keys({ ...sourceTree, ...destinationTree })
      .filter((k) => JSON.stringify(sourceTree[k]) !== JSON.stringify(destinationTree[k]));
    const copiesVerified = (migration.copies as { verified: boolean }[]).every((c) => c.verified);
    const rules = (await client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list as unknown[];

    const summary = {
      share: share.id,
      migration: migration.id,
      mechanism: migration.mechanism,
      from: migration.source_host,
      to: after.host,
      task_state: after.task_state,
      status: after.status,
      files: Object.values(destinationTree).filter((e) => e.kind === 'file').length,
      folders: Object.values(destinationTree).filter((e) => e.kind === 'dir').length,
      symlinks: Object.values(destinationTree).filter((e) => e.kind === 'symlink').length,
      bytes: Object.values(destinationTree).reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0),
      access_rules: rules.length,
      migration_seconds: Number(migrationSeconds.toFixed(2)),
      read_only_seconds: migration.read_only_since && migration.read_only_until
        ? Number(((Date.parse(migration.read_only_until) - Date.parse(migration.read_only_since)) / 1000).toFixed(2)) : null,
      verification: differences.length === 0 && copiesVerified ? 'passed' : 'FAILED',
      copy_passes: (migration.copies as { pass: string; files: number; bytes: number; verified: boolean }[]).map((c) => `${c.pass}: ${c.files} files, ${c.bytes} bytes, verified ${c.verified}`),
      total_seconds: Number(((Date.now() - started) / 1000).toFixed(2)),
    };
    say('\nsummary');
    for (const [k, v] of Object.entries(summary)) say(`  ${k.padEnd(18)} ${Array.isArray(v) ? v.join('; ') : String(v)}`);
    if (summary.verification !== 'passed') {
      throw new Error(`destination differs from source at ${differences.length} path(s): ${differences.slice(0, 5).join(', ')}`);
    }
  } finally {
    await runtime?.close();
    if (process.env['SMIG_DEMO_KEEP'] !== '1') await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
