#!/usr/bin/env node
/**
 * `npm start`: the embedded default. Everything on this machine, data under SMIG_DATA_DIR (default
 * .data/, mode 0700), the API on http://127.0.0.1:SMIG_PORT (default 8786).
 */
import path from 'node:path';
import { adminTokenFile } from './admin-token.ts';
import { startLocalRuntime, type LocalRuntime } from './runtime.ts';

// Before anything is written: every file this process creates (the state store's LevelDB files, which
// take their mode from the umask alone, the event log, the admin token) is 0600, every folder 0700. The
// runtime also sets the data folder's modes itself; this covers what is created later.
process.umask(0o077);

const dataDir = path.resolve(process.env['SMIG_DATA_DIR'] ?? '.data');
const port = Number(process.env['SMIG_PORT'] ?? 8786);
const started = Date.now();

try {
  const runtime = await startLocalRuntime({ dataDir, port, backendsFile: process.env['SMIG_BACKENDS_FILE'] });
  // Listen for the stop signals before saying it is up: stdout to a pipe is written synchronously, so
  // whoever reads "is up" may signal at once, before a line after the write has run.
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
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `share-migration is up in ${seconds}s\n` +
    `  API (Manila v2):  ${runtime.url}/v2\n` +
    `  data folder:      ${runtime.dataDir}\n` +
    tokenLines(runtime) +
    identityLines(runtime) +
    (runtime.resumed.length > 0 ? `  resumed:          ${runtime.resumed.length} unfinished migration(s)\n` : ''),
  );
} catch (err) {
  process.stderr.write(`${JSON.stringify({ level: 'ERROR', message: 'share-migration failed to start', error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
}

/**
 * The embedded Keystone: the `admin` user's password is shown once, at the start that generated it (only
 * its scrypt hash is kept); later starts say where users and passwords are configured.
 */
function identityLines(runtime: LocalRuntime): string {
  if (runtime.identity === undefined) return `  Keystone:         ${runtime.externalKeystoneUrl} (existing; tokens validated there)\n`;
  const authUrl = `${runtime.url}/identity/v3`;
  const password = runtime.identity.generatedAdminPassword;
  return `  Keystone (v3):    ${authUrl}\n` +
    (password === undefined
      ? `  users:            ${runtime.identity.configFile} (docs/identity.md)\n`
      : `  admin password:   ${password}  (user admin, project admin; new, not shown again; users in ${runtime.identity.configFile})\n`) +
    `  openstack:        OS_AUTH_URL=${authUrl} OS_USERNAME=admin OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_PASSWORD=...\n`;
}

/**
 * The token is shown once, at the start that generated it (whoever started it needs it once; logs and
 * terminals keep what is printed). Later starts, and a token from SMIG_ADMIN_TOKEN, say where it is.
 */
function tokenLines(runtime: LocalRuntime): string {
  const file = adminTokenFile(runtime.dataDir);
  const pools = `${runtime.url}/v2/scheduler-stats/pools`;
  switch (runtime.adminTokenSource) {
    case 'generated':
      return `  admin token:      ${runtime.adminToken}  (new; kept in ${file}, mode 600, not shown again)\n` +
        `  try:              curl -H "X-Auth-Token: $(cat '${file}')" ${pools}\n`;
    case 'file':
      return `  admin token:      kept in ${file}\n` +
        `  try:              curl -H "X-Auth-Token: $(cat '${file}')" ${pools}\n`;
    case 'env':
      return '  admin token:      from SMIG_ADMIN_TOKEN\n' +
        `  try:              curl -H "X-Auth-Token: $SMIG_ADMIN_TOKEN" ${pools}\n`;
  }
}
