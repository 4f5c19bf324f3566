import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { Browser, browserMissing } from '../support/webdriver.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';
/** Where the screenshot of the migration page is kept (CI keeps the folder as an artifact). */
const ARTIFACTS = path.resolve(import.meta.dirname, '../../artifacts');
const missing = browserMissing();

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Issue 18: the console in a real browser (Debian's chromium, headless) against the embedded default:
 * sign in, start a migration from the form, watch it reach phase 1 done, complete it, see success,
 * cancel another; keyboard and a narrow screen.
 */
describe.skipIf(missing !== undefined)(`Console in a browser${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let t: TestRuntime;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestRuntime({ resume: false });
    browser = await Browser.start();
  }, 60_000);
  afterAll(async () => {
    // Executions still finishing (a cancel's cleanup, the release) write to the store: let them end first.
    for (let i = 0; i < 100 && (t?.runtime.workflow.runningExecutions().length ?? 0) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    await browser?.close();
    await t?.destroy();
  });

  const signIn = async () => {
    // Signed out first: the tab keeps its token in session storage across the tests.
    await browser.goto(`${t.runtime.url}/console/`);
    await browser.execute('sessionStorage.clear()');
    await browser.goto(`${t.runtime.url}/console/#/`);
    await browser.type('#token', t.runtime.adminToken);
    await browser.click('form button[type=submit]');
    await browser.find('#nav:not([hidden]) a[href="#/shares"]');
    await browser.find('main table');
  };

  it('signs in with the token, migrates a share from the form, completes it, and shows success', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'console-moved', onlyHost: ALPHA });
    await fillSampleTree(await t.client.exportPath(share.id));

    // Act: sign in, find the share, start its migration to beta through the form
    await signIn();
    await browser.goto(`${t.runtime.url}/console/#/shares`);
    await browser.click(`a[href="#/shares/${share.id}"]`);
    await browser.click('#start-migration');
    await browser.click(`input[name=host][value="${BETA}"]`);
    await browser.click('#migrate-submit');
    await browser.click('#confirm-ok');
    const phase1 = await browser.waitForText('#migration-state', (s) => s === 'data_copying_completed' || s === 'migration_error');
    const progress = await browser.text('#progress-text');
    await browser.click('#complete-migration');
    await browser.click('#confirm-ok');
    const done = await browser.waitForText('#migration-state', (s) => s === 'migration_success' || s === 'migration_error');
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(path.join(ARTIFACTS, 'console-migration.png'), await browser.screenshot());

    // Assess
    expect(phase1).toBe('data_copying_completed');
    expect(progress).toMatch(/^100% · bulk/);
    expect(done).toBe('migration_success');
    expect((await t.client.share(share.id)).host).toBe(BETA);
    expect(await browser.text('#read-only-window')).toMatch(/s \(from /);
    // The graph shows the path taken through the state machine.
    expect(await browser.execute<number>('return document.querySelectorAll(".graph .state.visited").length')).toBeGreaterThan(5);
  }, 180_000);

  it('cancels a migration waiting for completion, after confirmation', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'console-cancelled', onlyHost: ALPHA });
    await t.client.startMigration(share.id, BETA);
    await t.client.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);

    // Act
    await signIn();
    await browser.goto(`${t.runtime.url}/console/#/shares/${share.id}`);
    await browser.click('#cancel-migration');
    await browser.click('#confirm-ok');
    const state = await browser.waitForText('#migration-state', (s) => s === 'migration_cancelled' || s === 'migration_error');

    // Assess
    expect(state).toBe('migration_cancelled');
    expect((await t.client.share(share.id)).host).toBe(ALPHA);
  }, 120_000);

  it('schedules a migration in a recurring window, previewing its next firings', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'console-scheduled', onlyHost: ALPHA });

    // Act
    await signIn();
    await browser.goto(`${t.runtime.url}/console/#/shares/${share.id}`);
    await browser.click('#start-migration');
    await browser.click(`input[name=host][value="${BETA}"]`);
    await browser.click('#when-cron');
    await browser.type('#cron', 'cron(0 2 ? * SUN *)');
    await browser.execute('document.querySelector("[name=timezone]").value = "UTC"; document.querySelector("#cron").dispatchEvent(new Event("input", { bubbles: true }))');
    await browser.waitForText('#schedule-preview', (s) => s.split('\n').filter(Boolean).length === 5, 10_000);
    await browser.click('#migrate-submit');
    await browser.click('#confirm-ok');
    const schedules = await until(async () => (await t.client.expect(200, 'GET', `/migration-schedules?share_id=${share.id}`)).migration_schedules, (list) => list.length === 1);

    // Assess
    expect(schedules[0]).toMatchObject({ share_id: share.id, host: BETA, cron: 'cron(0 2 ? * SUN *)', timezone: 'UTC' });
    expect(new Date(schedules[0].next_fire_at).getUTCDay()).toBe(0);
  }, 60_000);

  it('is used with the keyboard alone: the skip link, then the navigation, by Tab and Enter', async () => {
    // Prepare
    await signIn();

    // Act
    await browser.goto(`${t.runtime.url}/console/#/shares`);
    await browser.find('#nav a[href="#/pools"]');
    await browser.find('main table');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the page has settled (it focuses main once drawn)
    // Focus navigation starts from the top of the page, as after a fresh load.
    await browser.execute('document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute("tabindex");');
    await browser.keys('\uE004'); // Tab: the skip link first
    const first = await browser.execute<string>('return document.activeElement.textContent');
    await browser.keys('\uE004\uE004'); // the brand is not focusable: Shares, then Pools
    const third = await browser.execute<string>('return document.activeElement.getAttribute("href")');
    expect(first).toBe('Skip to content');
    expect(third).toBe('#/pools');
    await browser.keys('\uE007'); // Enter
    const heading = await browser.waitForText('h1', (s) => s === 'Pools', 10_000);

    // Assess
    expect(heading).toBe('Pools');
  }, 60_000);

  it('fits a narrow screen without scrolling sideways, and loads nothing from another origin', async () => {
    // Prepare
    const narrow = await Browser.start({ width: 390, height: 844 });
    try {
      await narrow.goto(`${t.runtime.url}/console/`);
      await narrow.type('#token', t.runtime.adminToken);
      await narrow.click('form button[type=submit]');
      await narrow.find('table');

      // Act
      const widths = await narrow.execute<{ page: number; view: number }>('return { page: document.documentElement.scrollWidth, view: window.innerWidth }');
      const origins = await narrow.execute<string[]>('return [...new Set(performance.getEntriesByType("resource").map((e) => new URL(e.name).origin))]');

      // Assess
      expect(widths.page).toBeLessThanOrEqual(widths.view);
      expect(origins).toEqual([new URL(t.runtime.url).origin]);
    } finally {
      await narrow.close();
    }
  }, 60_000);
});
