import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { PEOPLE, dataDirWithPeople } from './identity-fixture.ts';

const run = promisify(execFile);
const has = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const hasManila = has('manila', ['--version']);
const hasOpenstack = has('openstack', ['--version']);
/** Debian's Python, where python3-openstacksdk installs (a python3 earlier in PATH, e.g. pyenv's, lacks it). */
const DEBIAN_PYTHON = '/usr/bin/python3';
const hasSdk = has(DEBIAN_PYTHON, ['-c', 'import openstack']);
for (const [present, what, pkg] of [[hasManila, 'manila CLI', 'python3-manilaclient'], [hasOpenstack, 'openstack CLI', 'python3-openstackclient'], [hasSdk, 'openstacksdk', 'python3-openstacksdk']] as const) {
  // Not silent: CI installs these (.ci/run); a developer without them is told here.
  if (!present) console.warn(`${what} scenarios skipped: apt-get install ${pkg} to run them`);
}

/**
 * The clients as an operator runs them: only OS_AUTH_URL, the user, password and project (and their
 * domains), no token and no endpoint; they sign in through the embedded Keystone and find the share
 * endpoint in its catalog.
 */
describe('The unmodified OpenStack clients through the embedded Keystone', () => {
  let t: TestRuntime;
  const env = (person: keyof typeof PEOPLE, projectName: string = PEOPLE[person].project): NodeJS.ProcessEnv => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_')));
    return {
      ...inherited,
      OS_AUTH_URL: `${t.runtime.url}/identity/v3`,
      OS_USERNAME: PEOPLE[person].name,
      OS_PASSWORD: PEOPLE[person].password,
      OS_PROJECT_NAME: projectName,
      OS_USER_DOMAIN_NAME: person === 'bob' ? 'Other' : 'Default',
      OS_PROJECT_DOMAIN_NAME: projectName === 'beta' ? 'Other' : 'Default',
      OS_IDENTITY_API_VERSION: '3',
    };
  };
  const cli = (command: string, person: keyof typeof PEOPLE, ...args: string[]) =>
    run(command, args, { env: env(person), timeout: 90_000 }).then(({ stdout }) => stdout);

  beforeAll(async () => {
    t = await startTestRuntime({ dataDir: await dataDirWithPeople(), resume: false });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it.skipIf(!hasManila)('manila with OS_AUTH_URL: a member creates and lists in its project, a reader is refused with the policy error', async () => {
    // Act
    const created = await cli('manila', 'alice', '--os-share-api-version', '2.72', 'create', 'NFS', '1', '--name', 'from-manila-cli');
    const listed = await cli('manila', 'rita', 'list');
    const refused = cli('manila', 'rita', 'create', 'NFS', '1', '--name', 'not-allowed');

    // Assess
    expect(created).toMatch(/\| project_id\s+\| p-alpha\s+\|/);
    expect(listed).toContain('from-manila-cli');
    await expect(refused).rejects.toMatchObject({ stderr: expect.stringContaining("Policy doesn't allow share:create to be performed. (HTTP 403)") });
  });

  it.skipIf(!hasOpenstack)('openstack share create and share list with only OS_* sign-in variables', async () => {
    // Act
    const created = JSON.parse(await cli('openstack', 'alice', 'share', 'create', 'NFS', '1', '--name', 'from-openstack-cli', '-f', 'json'));
    const listed = JSON.parse(await cli('openstack', 'alice', 'share', 'list', '-f', 'json'));

    // Assess
    expect(created).toMatchObject({ name: 'from-openstack-cli', project_id: 'p-alpha', share_proto: 'NFS', size: 1 });
    expect(listed.map((s: { Name: string }) => s.Name)).toContain('from-openstack-cli');
  });

  it.skipIf(!hasOpenstack)('openstack share migration start, show and complete: one migration end to end as the admin user', async () => {
    // Prepare
    const openstack = async (...args: string[]) => JSON.parse(await cli('openstack', 'admin', ...args, '-f', 'json'));
    const share = await openstack('share', 'create', 'NFS', '1', '--name', 'migrated-by-openstack', '--wait');
    const destination = share.host === 'local@alpha#default' ? 'local@beta#default' : 'local@alpha#default';

    // Act
    await cli('openstack', 'admin', 'share', 'migration', 'start', share.id, destination,
      '--writable', 'True', '--preserve-metadata', 'True', '--preserve-snapshots', 'False', '--nondisruptive', 'False');
    let progress: { task_state?: string } = {};
    for (let i = 0; i < 150 && progress.task_state !== 'migration_driver_phase1_done' && progress.task_state !== 'data_copying_completed'; i++) {
      progress = await openstack('share', 'migration', 'show', share.id);
      await new Promise((r) => setTimeout(r, 200));
    }
    await cli('openstack', 'admin', 'share', 'migration', 'complete', share.id);
    let after: { task_state?: string; host?: string; status?: string } = {};
    for (let i = 0; i < 150 && after.task_state !== 'migration_success'; i++) {
      after = await openstack('share', 'show', share.id);
      if (after.task_state !== 'migration_success') await new Promise((r) => setTimeout(r, 200));
    }

    // Assess
    expect(after).toMatchObject({ task_state: 'migration_success', status: 'available', host: destination });
  });

  it.skipIf(!hasSdk)('openstacksdk finds the sharev2 endpoint in the catalog and lists the project\'s shares', async () => {
    // Prepare
    const script = [
      'import json, openstack',
      'c = openstack.connect()',
      'print(json.dumps({"endpoint": c.shared_file_system.get_endpoint(), "names": sorted(s.name for s in c.shared_file_system.shares())}))',
    ].join('\n');
    await run('manila', ['--os-share-api-version', '2.72', 'create', 'NFS', '1', '--name', 'for-sdk'], { env: env('bob'), timeout: 90_000 });

    // Act
    const { stdout } = await run(DEBIAN_PYTHON, ['-c', script], { env: env('alice'), timeout: 90_000 });

    // Assess
    const answer = JSON.parse(stdout);
    expect(answer.endpoint).toBe(`${t.runtime.url}/v2`);
    expect(answer.names).not.toContain('for-sdk');
  });
});
