#!/usr/bin/env node
/**
 * Builds the copy engine's Node-API addon (copy-task/native) with node-gyp, offline.
 *
 *   node copy-task/native/build.mjs [--strict] [--sanitize]
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
 *
 * --sanitize (or SMIG_NATIVE_SANITIZE=1) builds instead, always strictly, an AddressSanitizer and
 * UndefinedBehaviorSanitizer build into build-sanitize/build/Release (a folder of its own, so the usual
 * build stays as it is for everything else): the same binding.gyp and sources (build-sanitize/src links
 * to ../src), with CFLAGS and LDFLAGS that gyp's Makefiles put after the binding's own (so -O1 wins over
 * its -O2). It loads only with libasan preloaded: copy-task/native/sanitize.sh runs the tests with it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const sanitize = process.argv.includes('--sanitize') || process.env.SMIG_NATIVE_SANITIZE === '1';
const strict = sanitize || process.argv.includes('--strict') || process.env.SMIG_NATIVE_STRICT === '1';
// The folder node-gyp builds in (its build/ below): this one, or for the sanitizer build a folder of its own.
const project = sanitize ? join(here, 'build-sanitize') : here;
const output = join(project, 'build/Release/smig_native.node');
const errorFile = join(project, 'build/build-error.txt');
/** -O1 keeps stacks readable and runs fast enough; recover nowhere, so the first finding ends the process. */
const SANITIZE_FLAGS = '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O1 -g';

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

/** build-sanitize/: the binding's gyp file and a link to the sources, so node-gyp builds there what it builds here. */
function prepareSanitizeProject() {
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, '.gitignore'), '# copy-task/native/build.mjs --sanitize makes all of this\n*\n');
  copyFileSync(join(here, 'binding.gyp'), join(project, 'binding.gyp'));
  rmSync(join(project, 'src'), { force: true });
  symlinkSync('../src', join(project, 'src'));
}

/** The sanitizer runtime to preload (gcc's; a Node built without it cannot load an instrumented module otherwise). */
function libasanPath() {
  const found = spawnSync(process.env.CC ?? 'gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (!path.startsWith('/') || !existsSync(path)) throw new Error(`no libasan.so from ${process.env.CC ?? 'gcc'} -print-file-name=libasan.so (install gcc's libasan)`);
  return path;
}

/** Proves the module loads here (the project's Node may differ from this one; Node-API makes that fine). */
function proveItLoads() {
  if (!sanitize) {
    createRequire(import.meta.url)(output);
    return;
  }
  const env = { ...process.env, LD_PRELOAD: libasanPath(), ASAN_OPTIONS: 'detect_leaks=0' };
  const loaded = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', output], { env, encoding: 'utf8' });
  if (loaded.status !== 0) throw new Error(`the sanitizer build does not load: ${loaded.stderr.trim()}`);
}

function build() {
  const nodeDir = findNodeDir();
  const [command, ...prefix] = findNodeGyp();
  if (sanitize) prepareSanitizeProject();
  const flags = sanitize ? { CFLAGS: SANITIZE_FLAGS, LDFLAGS: SANITIZE_FLAGS } : {};
  console.log(`smig-copy native addon: building${sanitize ? ' with ASan and UBSan' : ''} with node-gyp, headers from ${nodeDir.source} (${nodeDir.dir})`);
  const result = spawnSync(command, [...prefix, 'rebuild', '--loglevel=warn', `--nodedir=${nodeDir.dir}`, `--directory=${project}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...flags, npm_config_nodedir: nodeDir.dir },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`node-gyp exited with ${result.status ?? result.signal}`);
  proveItLoads();
  console.log(`smig-copy native addon: built ${output}`);
}

try {
  rmSync(errorFile, { force: true });
  build();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  mkdirSync(dirname(errorFile), { recursive: true });
  writeFileSync(errorFile, `${message}\n`);
  const banner = sanitize ? `smig-copy native addon: SANITIZER BUILD FAILED\n  ${message}` : [
    'smig-copy native addon: BUILD FAILED',
    `  ${message}`,
    '  The copy engine will run with reduced fidelity: times to the microsecond, no extended attributes',
    '  or ACLs, no FIFOs or device nodes, sparse files written out in full.',
    '  Needs python3, make and a C compiler; rebuild with: node copy-task/native/build.mjs --strict',
  ].join('\n');
  console.error(banner);
  if (strict) process.exit(1);
}
