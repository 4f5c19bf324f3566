/**
 * The AWS rehearsal (rehearsal/): what `cdk deploy` ships, against moto's server with IAM enforced.
 * Every scenario must hold with no call denied; and the rehearsal must catch what it exists for: with
 * one statement removed from one role, it fails naming the denied action and the function.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyStatement } from '../../rehearsal/iam/evaluator.ts';
import { startRehearsal, type Rehearsal } from '../../rehearsal/rehearsal.ts';
import { runScenarios } from '../../rehearsal/run-scenarios.ts';
import { SCENARIOS } from '../../rehearsal/scenarios/index.ts';
import { poolListing } from '../../rehearsal/scenarios/pool-listing.ts';

const missing = [
  spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status !== 0 && 'moto 5 with its server in python3 (pip install "moto[server]")',
  spawnSync('manila', ['--version'], { stdio: 'ignore' }).status !== 0 && 'the manila CLI (apt-get install python3-manilaclient)',
  process.getuid?.() !== 0 && 'root (the copy task\'s EFS volumes are bind mounts in a mount namespace)',
].filter((item): item is string => typeof item === 'string');
if (missing.length > 0) {
  // CI has all three (.ci/run); anywhere else the test says what it needs rather than failing obscurely.
  if (process.env['CI']) throw new Error(`The AWS rehearsal needs ${missing.join(', ')}`);
  console.warn(`AWS rehearsal skipped: it needs ${missing.join(', ')}`);
}

describe.skipIf(missing.length > 0)('AWS rehearsal (moto, IAM enforced)', () => {
  let rehearsal: Rehearsal;

  beforeAll(async () => {
    rehearsal = await startRehearsal();
  }, 300_000);

  afterAll(async () => {
    await rehearsal?.stop();
  });

  it('runs every scenario with every call allowed by the caller\'s own role', async () => {
    // Act: all at once, as npm run rehearse runs them (each its own shares and file systems)
    const results = await runScenarios(rehearsal, SCENARIOS, { concurrent: true });

    // Assess
    const failed = results.filter((result) => !result.ok).map((result) => `${result.name}: ${result.error}`);
    expect(failed).toEqual([]);
    expect(rehearsal.log.denied()).toEqual([]);
  }, 600_000);

  it('fails, naming the action and the function, when one statement is removed from one role', async () => {
    // Prepare: the statement of the API function's role that lets it describe the backends' file systems.
    const api = [...rehearsal.functions.functions.values()].find((fn) => fn.stepName === 'api')!;
    const grants = (statement: PolicyStatement): boolean => [statement.Action].flat().some((action) => action === 'elasticfilesystem:DescribeFileSystems');
    let removed = 0;
    const restore = await rehearsal.editRolePolicies(api.role.logicalId, (_name, document): PolicyDocument => {
      const statements = [document.Statement].flat() as PolicyStatement[];
      removed += statements.filter(grants).length;
      return { ...document, Statement: statements.filter((statement) => !grants(statement)) };
    });

    try {
      // Act
      const [result] = await runScenarios(rehearsal, [poolListing]);

      // Assess
      expect(removed).toBeGreaterThan(0);
      expect(result!.ok).toBe(false);
      expect(result!.error).toContain(`function ${api.logicalId}`);
      expect(result!.error).toContain('denied elasticfilesystem:DescribeFileSystems');
    } finally {
      await restore();
    }
    // And with the statement back, the same scenario holds again.
    const [again] = await runScenarios(rehearsal, [poolListing]);
    expect(again!.ok).toBe(true);
  }, 120_000);
});
