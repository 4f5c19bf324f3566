#!/usr/bin/env node
/**
 * Install-time step (package.json postinstall): synthesizes the state machine definition the embedded
 * runtime runs into the project's cache, keyed by a hash of its sources, so `npm start` reads it instead
 * of building the CDK app (which took most of its start-up time and memory). A start after the sources
 * changed (development) misses the cache and synthesizes again itself.
 *
 *   node local/synthesize-workflow.ts [--cache-dir <folder>]   (default node_modules/.cache/share-migration)
 *
 * A failure does not fail the install (an install without dev dependencies has no aws-cdk-lib, and
 * `npm start` reports a broken CDK app itself): it says so and exits 0.
 */
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PROJECT_CACHE_DIR, cachedWorkflowFile, loadSynthesizedWorkflow } from './synthesized-definition.ts';

const { values } = parseArgs({ options: { 'cache-dir': { type: 'string' } } });
const cacheDir = values['cache-dir'] ?? PROJECT_CACHE_DIR;

try {
  const started = Date.now();
  await loadSynthesizedWorkflow({ cacheDir });
  const file = await cachedWorkflowFile(cacheDir);
  await access(file).catch((err: unknown) => {
    throw new Error(`${file} could not be written`, { cause: err });
  });
  process.stdout.write(`share-migration: state machine definition synthesized in ${((Date.now() - started) / 1000).toFixed(1)}s into ${file}\n`);
} catch (err) {
  process.stderr.write(
    `share-migration: could not synthesize the state machine definition at install time (${err instanceof Error ? err.message : String(err)}); ` +
    'npm start will synthesize it on its first start, which takes longer\n',
  );
}
