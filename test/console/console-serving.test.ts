import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_FOLDER } from '../../local/console-files.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';

/** Issue 18: the console's files as the runtime serves them, and the API extensions it reads. */
describe('Console: served by the runtime', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({ dataDir: await dataDirWithPeople(), resume: false });
  });
  afterAll(async () => {
    // Executions still finishing (a cancel's cleanup, the release) write to the store: let them end first.
    for (let i = 0; i < 100 && (t?.runtime.workflow.runningExecutions().length ?? 0) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    await t?.destroy();
  });

  it('serves its page and modules without a token, with a CSP that allows this origin only', async () => {
    // Act
    const page = await fetch(`${t.runtime.url}/console/`);
    const module = await fetch(`${t.runtime.url}/console/views/share.js`);
    const bare = await fetch(`${t.runtime.url}/console`, { redirect: 'manual' });

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
    expect(module.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
  });

  it('answers 404 for a name that is not one of its files and 405 for a write, touching nothing else', async () => {
    // Act
    const unknown = await fetch(`${t.runtime.url}/console/secrets.js`);
    const dotted = await fetch(`${t.runtime.url}/console/views/..%2f..%2fpackage.json`);
    const post = await fetch(`${t.runtime.url}/console/app.js`, { method: 'POST', body: 'x' });

    // Assess
    expect(unknown.status).toBe(404);
    expect(dotted.status).toBe(404);
    expect(post.status).toBe(405);
  });

  it('names no other host in any of its files (no CDN, no fonts, no analytics)', async () => {
    // Prepare
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(path.join(dir, entry.name));
        else files.push(path.join(dir, entry.name));
      }
    };
    await walk(CONSOLE_FOLDER);

    // Act
    const offenders: string[] = [];
    for (const file of files) {
      // The SVG namespace is a name, not a fetch.
      const text = (await readFile(file, 'utf8')).replaceAll('http://www.w3.org/2000/svg', '');
      if (/https?:\/\//.test(text)) offenders.push(path.relative(CONSOLE_FOLDER, file));
    }

    // Assess
    expect(files.length).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });

  it('gives an admin the state machine definition and the events; refuses them to a member with Manila\'s 403', async () => {
    // Prepare
    const alice = await tokenOf(t.runtime.url, 'alice');
    const get = (token: string, p: string) => fetch(`${t.runtime.url}/v2${p}`, { headers: { 'X-Auth-Token': token } });

    // Act
    const definition = await get(t.runtime.adminToken, '/workflow/definition');
    const events = await get(t.runtime.adminToken, '/migration-events?limit=5');
    const refused = await get(alice, '/workflow/definition');
    const badLimit = await get(t.runtime.adminToken, '/migration-events?limit=-1');

    // Assess
    expect(definition.status).toBe(200);
    const body = (await definition.json()) as { definition: { StartAt: string; States: Record<string, unknown> } };
    expect(Object.keys(body.definition.States)).toContain(body.definition.StartAt);
    expect(events.status).toBe(200);
    expect(await events.json()).toEqual({ events: [] });
    expect(refused.status).toBe(403);
    expect(badLimit.status).toBe(400);
  });

  it('shows the path a migration\'s execution took, and the events of its share', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'insight', onlyHost: 'local@alpha#default' });
    await t.client.startMigration(share.id, 'local@beta#default');
    await t.client.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    const [migration] = await t.client.migrations(share.id);

    // Act
    const execution = await t.client.expect(200, 'GET', `/migrations/${migration.id}/execution`);
    const events = await t.client.expect(200, 'GET', `/migration-events?share_id=${share.id}`);
    const unknown = await t.client.request('GET', '/migrations/no-such-migration/execution');

    // Assess
    const states = execution.execution.visits.map((v: { state: string }) => v.state);
    expect(execution.execution.status).toBe('RUNNING');
    expect(states.length).toBeGreaterThan(5);
    expect(states[0]).toBe((await t.client.expect(200, 'GET', '/workflow/definition')).definition.StartAt);
    expect(events.events.length).toBeGreaterThan(0);
    expect(events.events.every((e: { detail: { share_id: string } }) => e.detail.share_id === share.id)).toBe(true);
    expect(unknown.status).toBe(404);
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_cancel: null });
    await t.client.waitForTaskState(share.id, ['migration_cancelled', 'migration_error']);
  });
});
