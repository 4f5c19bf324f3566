#!/usr/bin/env node
/**
 * Builds the copy engine's Node-API addon (copy-task/native) with node-gyp, offline.
 *
 *   node copy-task/native/build.mjs [--strict]
 *
 * `npm ci` runs it (package.json `postinstall`). Plain JavaScript, not TypeScript: npm may run it
 * with a Node that has no type stripping (the machine's own, before the project's is linked).
 *
 * Headers: node-gyp would download them for the running Node unless given a folder that has them.
 * The module uses Node-API only, which is ABI-stable, so any Node's headers serve; the first of these
 * that holds include/node/node_api.h and common.gypi is used, and printed:
 *   1. SMIG_NODEDIR;
 *   2. the headers shipped with the project's `node` package (node_modules/node/node_modules/node-<os>-<arch>);
 *   3. npm's configured nodedir (npm_config_nodedir);
 *   4. the running Node's own prefix (dirname(dirname(process.execPath))).
 * node-gyp itself is npm's (npm_config_node_gyp, or found beside npm), so nothing is fetched.
 *
 * Without --strict (or SMIG_NATIVE_STRICT=1) a failed build is reported and the install goes on: the
 * engine then works with reduced fidelity (see copy-task/native/index.ts) and the test
 * test/copy-task/native/addon.test.ts fails, quoting copy-task/native/build/build-error.txt.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const strict = process.argv.includes('--strict') || process.env.SMIG_NATIVE_STRICT === '1';
const output = join(here, 'build/Release/smig_native.node');
const errorFile = join(here, 'build/build-error.txt');

function hasHeaders(dir) {
  return Boolean(dir) && existsSync(join(dir, 'include/node/node_api.h')) && existsSync(join(dir, 'include/node/common.gypi'));
}

/** An npm setting when not run by npm (which passes its settings as npm_config_* variables). */
function npmConfig(key) {
  const result = spawnSync('npm', ['config', 'get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const value = result.status === 0 ? result.stdout.trim() : '';
  return value && value !== 'undefined' && value !== 'null' ? value : undefined;
}

function findNodeDir() {
  const platformPackage = `node-${process.platform}-${process.arch}`;
  const candidates = [
    ['SMIG_NODEDIR', process.env.SMIG_NODEDIR],
    ['the node package', join(repo, 'node_modules/node/node_modules', platformPackage)],
    ['the node package', join(repo, 'node_modules', platformPackage)],
    ['npm config nodedir', process.env.npm_config_nodedir ?? npmConfig('nodedir')],
    ['the running node', dirname(dirname(realpathSync(process.execPath)))],
  ];
  const found = candidates.find(([, dir]) => hasHeaders(dir));
  if (!found) throw new Error(`no Node headers (include/node/node_api.h and common.gypi) in any of: ${candidates.map(([what, dir]) => `${what} (${dir ?? 'unset'})`).join(', ')}`);
  return { source: found[0], dir: found[1] };
}

/** The npm package behind the `npm` command on PATH (its bin/npm-cli.js, through links). */
function npmPackageDir() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const npm = dir && join(dir, 'npm');
    if (npm && existsSync(npm)) return dirname(dirname(realpathSync(npm)));
  }
  return undefined;
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(dirname(realpathSync(process.execPath))), 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    npmPackageDir() && join(npmPackageDir(), 'node_modules/node-gyp/bin/node-gyp.js'),
  ];
  const script = candidates.find((path) => path && existsSync(path));
  if (script) return [process.execPath, script];
  const onPath = spawnSync('node-gyp', ['--version'], { stdio: 'ignore' });
  if (onPath.status === 0) return ['node-gyp'];
  throw new Error(`node-gyp not found (tried ${candidates.filter(Boolean).join(', ')} and PATH)`);
}

function build() {
  const nodeDir = findNodeDir();
  const [command, ...prefix] = findNodeGyp();
  console.log(`smig-copy native addon: building with node-gyp, headers from ${nodeDir.source} (${nodeDir.dir})`);
  const result = spawnSync(command, [...prefix, 'rebuild', '--loglevel=warn', `--nodedir=${nodeDir.dir}`, `--directory=${here}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, npm_config_nodedir: nodeDir.dir },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`node-gyp exited with ${result.status ?? result.signal}`);
  // Prove it loads here (the project's Node may differ from this one; Node-API makes that fine).
  createRequire(import.meta.url)(output);
  console.log(`smig-copy native addon: built ${output}`);
}

try {
  rmSync(errorFile, { force: true });
  build();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  mkdirSync(dirname(errorFile), { recursive: true });
  writeFileSync(errorFile, `${message}\n`);
  const banner = [
    'smig-copy native addon: BUILD FAILED',
    `  ${message}`,
    '  The copy engine will run with reduced fidelity: times to the microsecond, no extended attributes',
    '  or ACLs, no FIFOs or device nodes, sparse files written out in full.',
    '  Needs python3, make and a C compiler; rebuild with: node copy-task/native/build.mjs --strict',
  ].join('\n');
  console.error(banner);
  if (strict) process.exit(1);
}
