#!/usr/bin/env node
/**
 * Compiles the smig-copy CLI into one JavaScript file, copy-task/dist/smig-copy.cjs, with esbuild:
 * Node then starts it without stripping the types of some forty TypeScript modules (about 30 ms
 * instead of 150 ms here; `npm run bench` measures it). CommonJS rather than an ES module: loading
 * Node's built-in modules through `import` builds a facade of each, which evaluates their lazy parts
 * (node:fs its streams), 8 ms of the start. `npm ci` runs it (package.json `postinstall`, after the
 * native addon), and so does `npm run bench`, so the file never lags the sources it is measured for.
 * copy-task/bin/smig-copy.cjs runs it, or the TypeScript sources when it is missing (an install
 * without dev dependencies, where esbuild is absent).
 *
 *   node copy-task/cli/build.mjs
 *
 * Plain JavaScript, like the addon's build script: npm may run it with a Node without type stripping.
 */
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const copyTask = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(copyTask, 'dist/smig-copy.cjs');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  rmSync(outfile, { force: true });
  console.log('smig-copy CLI: esbuild is not installed; bin/smig-copy.cjs will run the TypeScript sources');
  process.exit(0);
}
// The earlier ES module build, should one be left from before.
rmSync(join(copyTask, 'dist/smig-copy.mjs'), { force: true });
await esbuild.build({
  entryPoints: [join(copyTask, 'bin/smig-copy.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  define: { 'import.meta.url': 'import_meta_url' },
  inject: [join(copyTask, 'cli/import-meta-url.js')],
  // The addon stays a file of its own: native/index.ts finds it relative to this bundle.
  external: ['*.node'],
  logLevel: 'warning',
  legalComments: 'none',
});
console.log(`smig-copy CLI: built ${outfile}`);
