import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTree } from '../../lambdas/drivers/local/fs-util.ts';
import { buildDeepTree, pathExists, readDeepTree } from '../drivers/deep-tree.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';

/**
 * Issue 16 (5): a share whose tree is deeper than PATH_MAX (22 nested folders with 200-byte names, files
 * with data at the bottom) used to end in migration_error ENAMETOOLONG. Every step that walks it (the copy
 * task's passes, the read-only switchover and its record of modes, deleting the source) now reaches such
 * paths a part at a time.
 */
describe('Host-assisted migration of a tree deeper than PATH_MAX', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
    // rm -r stops at PATH_MAX: the migrated tree is removed a part at a time, as the driver removes it.
    if (t) await removeTree(t.dataDir);
  });

  it('arrives whole on the destination with its modes, and the source is deleted', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'e2e-deep', onlyHost: ALPHA });
    const sourcePath = await t.client.exportPath(share.id);
    const bottom = await buildDeepTree(sourcePath);
    expect(bottom.length).toBeGreaterThan(4096);
    const before = await readDeepTree(sourcePath);

    // Act
    expect((await t.client.startMigration(share.id, BETA, { auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    const [migration] = await t.client.migrations(share.id);
    expect(migration.error ?? null).toBeNull();
    expect(done).toMatchObject({ task_state: 'migration_success', status: 'available', host: BETA });
    const destinationPath = await t.client.exportPath(share.id);
    expect(destinationPath).not.toBe(sourcePath);
    expect(await readDeepTree(destinationPath)).toEqual(before);
    expect(migration.copies.map((c: any) => [c.pass, c.verified])).toEqual([['bulk', true], ['final', true]]);
    expect(await pathExists(sourcePath)).toBe(false);
    expect(await pathExists(path.dirname(sourcePath))).toBe(false);
  });
});
