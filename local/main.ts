#!/usr/bin/env node
/**
 * `npm start`: the embedded default. Everything on this machine, data under SMIG_DATA_DIR (default
 * .data/), the API on http://127.0.0.1:SMIG_PORT (default 8786).
 */
import path from 'node:path';
import { startLocalRuntime } from './runtime.ts';

const dataDir = path.resolve(process.env['SMIG_DATA_DIR'] ?? '.data');
const port = Number(process.env['SMIG_PORT'] ?? 8786);
const started = Date.now();

try {
  const runtime = await startLocalRuntime({ dataDir, port, backendsFile: process.env['SMIG_BACKENDS_FILE'] });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `share-migration is up in ${seconds}s\n` +
    `  API (Manila v2):  ${runtime.url}/v2\n` +
    `  data folder:      ${runtime.dataDir}\n` +
    `  admin token:      ${runtime.adminToken}  (${runtime.adminTokenSource === 'env' ? 'from SMIG_ADMIN_TOKEN' : `kept in ${path.join(runtime.dataDir, 'admin-token')}`})\n` +
    (runtime.resumed.length > 0 ? `  resumed:          ${runtime.resumed.length} unfinished migration(s)\n` : '') +
    `  try:              curl -H "X-Auth-Token: ${runtime.adminToken}" ${runtime.url}/v2/scheduler-stats/pools\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping; unfinished migrations resume at the next start\n`);
    runtime.close().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`${JSON.stringify({ level: 'ERROR', message: 'shutdown failed', error: String(err) })}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (err) {
  process.stderr.write(`${JSON.stringify({ level: 'ERROR', message: 'share-migration failed to start', error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
}
