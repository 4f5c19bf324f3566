import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort, residentMiB, startMain, stopMain, waitForAnswer, waitForOutput } from './support/process-probes.ts';

const RECORDER = fileURLToPath(new URL('./support/record-module-loads.mjs', import.meta.url));
/** The targets for the embedded default. */
const IDLE_RSS_LIMIT_MIB = 250;

describe('npm start (local/main.ts)', () => {
  const dirs: string[] = [];
  // What `npm install` does (postinstall): a no-op beyond hashing when the cache is current, a synthesis
  // when the sources changed since the install (development).
  beforeAll(async () => {
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, ['local/synthesize-workflow.ts'], { cwd: REPO_ROOT }, (err, _stdout, stderr) => {
        if (err || stderr) reject(new Error(`the install step failed: ${stderr || String(err)}`));
        else resolve();
      });
    });
  }, 180_000);
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  describe('Start-up on a fresh data folder', () => {
    it('reads the install-time definition, loads neither the CDK app nor the step machinery, and idles under 250 MB', async () => {
      // Prepare
      const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'smig-start-up-')), 'data');
      dirs.push(path.dirname(dataDir));
      const loads = path.join(path.dirname(dataDir), 'loaded-modules.txt');
      const port = await freePort();
      const launched = Date.now();

      // Act
      const main = startMain({
        SMIG_DATA_DIR: dataDir,
        SMIG_PORT: String(port),
        SMIG_RECORD_LOADS: loads,
        NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${RECORDER}`.trim(),
      });
      try {
        const firstAnswerMs = await waitForAnswer(`http://127.0.0.1:${port}/`, 60_000, launched);
        await waitForOutput(main, /share-migration is up/);
        await new Promise((r) => setTimeout(r, 1000)); // idle
        const idleMiB = await residentMiB(main.child.pid!);
        console.info(`npm start on a fresh data folder: first answer after ${firstAnswerMs} ms, idle RSS ${idleMiB.toFixed(0)} MiB`);

        // Assess
        const loaded = (await readFile(loads, 'utf8')).split('\n');
        const loadedAny = (fragment: string) => loaded.some((url) => url.includes(fragment));
        expect({
          cdk: loadedAny('/node_modules/aws-cdk-lib/'),
          stateMachineInterpreter: loadedAny('/node_modules/aws-local-stepfunctions/'),
          stepHandlers: loadedAny('/lambdas/handlers/steps/'),
        }).toEqual({ cdk: false, stateMachineInterpreter: false, stepHandlers: false });
        expect(idleMiB).toBeLessThanOrEqual(IDLE_RSS_LIMIT_MIB);
      } finally {
        expect(await stopMain(main)).toBe(0);
      }
    });
  });
});
