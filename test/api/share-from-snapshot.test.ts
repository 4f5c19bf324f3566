import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOriginalModes } from '../../lambdas/drivers/local/index.ts';
import { ManilaClient } from '../../local/manila-client.ts';
import { describeTree, fillSampleTree, type TreeEntry } from '../../local/tree-digest.ts';
import { dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const ALPHA = 'local@alpha#default';
const ZONED = 'local@zoned#default';
const BROKEN = 'local@broken#default';
const ZONES: Record<string, string> = { [ALPHA]: 'nova', [ZONED]: 'zone-b', [BROKEN]: 'zone-c' };

/**
 * POST /shares with snapshot_id over HTTP on the embedded runtime, as manila/api/v2/shares.py _create and
 * manila/share/api.py create answer it: the new share holds the snapshot's data, on the parent's pool, of
 * the parent's type, counted by the quotas; bad input is refused with Manila's status and message and
 * changes nothing. alice is a member of p-alpha, bob of p-beta. `zoned` is a pool in zone-b, `plain`
 * takes no snapshots, `broken` (zone-c) fails every create from a snapshot.
 */
describe('API: create a share from a snapshot', () => {
  let t: TestRuntime;
  let dataDir: string;
  let alice: ManilaClient;
  let bob: ManilaClient;
  const at = (version: string, token: string) => new ManilaClient(t.runtime.url, token, version);
  const badRequest = (message: string) => ({ status: 400, body: { badRequest: { code: 400, message } } });
  const notFound = (message: string) => ({ status: 404, body: { itemNotFound: { code: 404, message } } });
  const fromSnapshot = (client: ManilaClient, snapshotId: unknown, extra: Record<string, unknown> = {}) =>
    client.request('POST', '/shares', { share: { share_proto: 'NFS', snapshot_id: snapshotId, name: 'restored', ...extra } });
  const snapshotOf = async (client: ManilaClient, shareId: string) =>
    (await client.expect(202, 'POST', '/snapshots', { snapshot: { share_id: shareId, name: 'nightly' } })).snapshot;
  const parentWithSnapshot = async (options: { client?: ManilaClient; type?: string; host?: string; sizeGb?: number } = {}) => {
    const client = options.client ?? alice;
    const share = (await client.expect(200, 'POST', '/shares', {
      share: { share_proto: 'NFS', size: options.sizeGb ?? 2, name: 'parent', share_type: options.type ?? 'cloneable', availability_zone: ZONES[options.host ?? ALPHA] },
    })).share;
    expect((await t.client.share(share.id)).host).toBe(options.host ?? ALPHA);
    const exportPath = await t.client.exportPath(share.id);
    await fillSampleTree(exportPath, 12);
    const snapshot = await snapshotOf(client, share.id);
    return { share, snapshot, exportPath };
  };
  /** What a project holds, by the quota sets' detail view and its share list. */
  const holdings = async (project: string, client: ManilaClient) => {
    const quota = (await t.client.expect(200, 'GET', `/quota-sets/${project}/detail`)).quota_set;
    const shares = (await client.expect(200, 'GET', '/shares')).shares.map((s: { id: string }) => s.id).sort();
    return { shares: quota.shares.in_use, gigabytes: quota.gigabytes.in_use, ids: shares };
  };
  const instanceFolders = async (backend: string) => (await readdir(path.join(dataDir, backend, 'default'))).filter((n) => n.startsWith('share-')).sort();
  /** A snapshot's tree as the share had it: the local driver keeps it read-only, with the original modes recorded. */
  const snapshotTree = async (exportPath: string, providerLocation: string): Promise<Record<string, TreeEntry>> => {
    const dir = path.join(path.dirname(exportPath), providerLocation);
    const originals = await readOriginalModes(path.join(dir, 'readonly-modes.json'));
    const tree = await describeTree(path.join(dir, 'data'));
    return Object.fromEntries(Object.entries(tree).map(([rel, e]) => [rel, { ...e, mode: originals.get(Buffer.from(rel).toString('latin1')) ?? e.mode }]));
  };

  beforeAll(async () => {
    dataDir = await dataDirWithPeople();
    const backend = (name: string, extra: Record<string, unknown> = {}) => ({ backend: name, root: path.join(dataDir, name), pools: [{ name: 'default' }], snapshot_support: true, ...extra });
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          backend('alpha'),
          backend('zoned', { availability_zone: 'zone-b' }),
          backend('plain', { snapshot_support: false }),
          backend('broken', { availability_zone: 'zone-c', faults: { fail: { createInstanceFromSnapshot: 'array offline' } } }),
        ],
      },
    });
    const type = (name: string, specs: Record<string, unknown>) =>
      t.client.expect(200, 'POST', '/types', { share_type: { name, extra_specs: { driver_handles_share_servers: false, snapshot_support: true, ...specs } } });
    await type('cloneable', { create_share_from_snapshot_support: true });
    await type('snap-only', {});
    await type('other', { create_share_from_snapshot_support: true });
    await type('fragile', { create_share_from_snapshot_support: true, share_backend_name: 'broken' });
    alice = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'alice'));
    bob = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'bob'));
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('Method: POST /shares with snapshot_id', () => {
    it("answers 200 with the new share available, on the parent's pool and type, of the snapshot's size, holding the snapshot's data", async () => {
      // Prepare
      const { share: parent, snapshot, exportPath } = await parentWithSnapshot();
      const providerLocation = (await t.client.expect(200, 'GET', `/snapshots/${snapshot.id}`)).snapshot.provider_location;
      const expected = await snapshotTree(exportPath, providerLocation);
      // The parent changes after the snapshot: the new share must not see it.
      await writeFile(path.join(exportPath, 'after-the-snapshot.txt'), 'later');
      const before = await holdings('p-alpha', alice);

      // Act
      const answer = await fromSnapshot(alice, snapshot.id);

      // Assess
      expect(answer.status).toBe(200);
      const created = answer.body.share;
      expect(created).toMatchObject({
        status: 'available', size: 2, snapshot_id: snapshot.id, share_type: parent.share_type, share_type_name: 'cloneable',
        availability_zone: 'nova', share_proto: 'NFS', create_share_from_snapshot_support: true, project_id: 'p-alpha',
      });
      expect((await t.client.share(created.id)).host).toBe(ALPHA);
      const restored = await t.client.exportPath(created.id);
      expect(restored).not.toBe(exportPath);
      expect(await describeTree(restored)).toEqual(expected);
      expect(await holdings('p-alpha', alice)).toEqual({ shares: before.shares + 1, gigabytes: before.gigabytes + 2, ids: [...before.ids, created.id].sort() });
    });

    it('takes a larger size, another protocol (Manila does not compare it) and the zone by name, and keeps its data once the snapshot and parent are gone', async () => {
      // Prepare
      const { share: parent, snapshot, exportPath } = await parentWithSnapshot({ host: ZONED });
      await writeFile(path.join(exportPath, 'marker'), 'kept');

      // Act
      const created = (await alice.expect(200, 'POST', '/shares', {
        share: { share_proto: 'cifs', size: 5, snapshot_id: snapshot.id, availability_zone: 'zone-b', share_type: 'cloneable' },
      })).share;
      await alice.expect(202, 'DELETE', `/snapshots/${snapshot.id}`);
      await alice.expect(202, 'DELETE', `/shares/${parent.id}`);

      // Assess
      expect(created).toMatchObject({ status: 'available', size: 5, share_proto: 'CIFS', availability_zone: 'zone-b', snapshot_id: snapshot.id });
      expect((await t.client.share(created.id)).host).toBe(ZONED);
      expect(Object.keys(await describeTree(await t.client.exportPath(created.id)))).toContain('docs/deep/er/big.bin');
      expect(Object.keys(await describeTree(await t.client.exportPath(created.id)))).not.toContain('marker');
    });

    it('lists the share with its snapshot_id, and sorts by it (sort_key snapshot_id)', async () => {
      // Prepare
      const { share: parent, snapshot } = await parentWithSnapshot();
      const created = (await fromSnapshot(alice, snapshot.id)).body.share;

      // Act
      const detail = (await alice.expect(200, 'GET', '/shares/detail')).shares;
      const sorted = async (dir: string) => (await alice.expect(200, 'GET', `/shares?sort_key=snapshot_id&sort_dir=${dir}`)).shares.map((s: { id: string }) => s.id);
      const ascending = await sorted('asc');
      const descending = await sorted('desc');

      // Assess
      expect(detail.find((s: { id: string }) => s.id === created.id)).toMatchObject({ snapshot_id: snapshot.id });
      expect(detail.find((s: { id: string }) => s.id === parent.id)).toMatchObject({ snapshot_id: null });
      // An empty snapshot_id sorts first ascending, as an absent value does in Manila's sort.
      expect(ascending.indexOf(parent.id)).toBeLessThan(ascending.indexOf(created.id));
      expect(descending.indexOf(created.id)).toBeLessThan(descending.indexOf(parent.id));
    });

    it('lets an admin create from any project\'s snapshot (the share is the admin\'s)', async () => {
      // Prepare
      const { snapshot } = await parentWithSnapshot();

      // Act
      const answer = await fromSnapshot(t.client, snapshot.id);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body.share).toMatchObject({ status: 'available', snapshot_id: snapshot.id, project_id: 'admin' });
    });

    it("below 2.24 does not ask the parent's type for create_share_from_snapshot_support (the pool can, so it is created)", async () => {
      // Prepare
      const { snapshot } = await parentWithSnapshot({ type: 'snap-only' });

      // Act
      const answer = await fromSnapshot(at('2.23', await tokenOf(t.runtime.url, 'alice')), snapshot.id);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body.share).toMatchObject({ status: 'available', snapshot_id: snapshot.id });
    });

    it('leaves the share in error when the driver fails to copy the snapshot', async () => {
      // Prepare
      const { snapshot } = await parentWithSnapshot({ type: 'fragile', host: BROKEN });

      // Act
      const answer = await fromSnapshot(alice, snapshot.id);
      const mine = (await alice.expect(200, 'GET', '/shares/detail')).shares.filter((s: { snapshot_id: string | null }) => s.snapshot_id === snapshot.id);

      // Assess
      expect(answer).toMatchObject({ status: 400, body: { badRequest: { message: expect.stringContaining('array offline') } } });
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ status: 'error' });
      expect(await instanceFolders('broken')).toHaveLength(1);
    });
  });

  describe('Method: POST /shares with snapshot_id, bad input changes nothing', () => {
    type Ids = { snapshot: string; parent: string; other: string; errored: string; erroredParent: string; plain: string };
    /** A domain error names the parent share it concerns after Manila's message. */
    const about = (message: string, shareId: string) => `${message} (share ${shareId})`;
    it.each<[string, (ids: Ids) => Promise<{ status: number; body: unknown }>, (ids: Ids) => { status: number; body: unknown }]>([
      ['an unknown snapshot (404)', () => fromSnapshot(alice, 'no-such-snapshot'), () => notFound('Snapshot no-such-snapshot could not be found.')],
      ['a snapshot id that is not a string (404)', () => fromSnapshot(alice, 42), () => notFound('Snapshot 42 could not be found.')],
      ["another project's snapshot (404)", (ids) => fromSnapshot(alice, ids.other), (ids) => notFound(`Snapshot ${ids.other} could not be found.`)],
      ['a snapshot that is not available (400)', (ids) => fromSnapshot(alice, ids.errored), (ids) => badRequest(about("Invalid share snapshot: status must be 'available'.", ids.erroredParent))],
      ['a size smaller than the snapshot (400)', (ids) => fromSnapshot(alice, ids.snapshot, { size: 1 }), (ids) => badRequest(about("Invalid input received: Share size '1' must be equal or greater than snapshot size.", ids.parent))],
      ['a size that is not a number (400)', (ids) => fromSnapshot(alice, ids.snapshot, { size: 'big' }), () => badRequest("Share size 'big' must be an integer and greater than 0")],
      ['another share type (400)', (ids) => fromSnapshot(alice, ids.snapshot, { share_type: 'other' }), (ids) => badRequest(about(
        'Invalid input received: Invalid share type specified: the requested share type must match the type of the source share. If a share type is not specified when requesting a new share from a snapshot, the share type of the source share will be applied to the new share..',
        ids.parent,
      ))],
      ['another availability zone (400)', (ids) => fromSnapshot(alice, ids.snapshot, { availability_zone: 'zone-b' }), (ids) => badRequest(about(
        'Invalid input received: The specified availability zone must be the same as the parent share when creating from snapshot..',
        ids.parent,
      ))],
      ['an unknown availability zone (404)', (ids) => fromSnapshot(alice, ids.snapshot, { availability_zone: 'atlantis' }), () => notFound('Availability zone atlantis could not be found.')],
      ['another share network (400)', (ids) => fromSnapshot(alice, ids.snapshot, { share_network_id: 'some-network' }), (ids) => badRequest(about("Share network ID should be the same as snapshot's parent share's or empty", ids.parent))],
      ["a parent whose type lacks create_share_from_snapshot_support (400 from 2.24)", (ids) => fromSnapshot(alice, ids.plain), (ids) => badRequest(
        `A new share may not be created from snapshot '${ids.plain}', because the snapshot's parent share does not have that capability.`,
      )],
    ])('refuses %s', async (_what, act, expected) => {
      // Prepare
      const { share: parent, snapshot } = await parentWithSnapshot();
      const { snapshot: other } = await parentWithSnapshot({ client: bob });
      const { snapshot: plain } = await parentWithSnapshot({ type: 'snap-only' });
      const errored = await erroredSnapshot();
      const ids = { snapshot: snapshot.id, parent: parent.id, other: other.id, errored: errored.id, erroredParent: errored.share_id, plain: plain.id };
      const before = { alpha: await holdings('p-alpha', alice), folders: await instanceFolders('alpha') };

      // Act
      const answer = await act(ids);

      // Assess
      expect(answer).toEqual(expected(ids));
      expect({ alpha: await holdings('p-alpha', alice), folders: await instanceFolders('alpha') }).toEqual(before);
    });

    it("refuses over the project's gigabytes quota with Manila's 413, creating nothing", async () => {
      // Prepare
      const { snapshot } = await parentWithSnapshot();
      const before = await holdings('p-alpha', alice);
      await t.client.expect(200, 'PUT', '/quota-sets/p-alpha', { quota_set: { gigabytes: before.gigabytes + 1 } });

      try {
        // Act
        const answer = await fromSnapshot(alice, snapshot.id);

        // Assess
        expect(answer).toEqual({ status: 413, body: { overLimit: { code: 413, message: 'Requested share exceeds allowed project/user or share type gigabytes quota.' } } });
        expect(await holdings('p-alpha', alice)).toEqual(before);
      } finally {
        await t.client.expect(202, 'DELETE', '/quota-sets/p-alpha');
      }
    });
  });

  describe('Method: GET /scheduler-stats/pools/detail', () => {
    it('reports create_share_from_snapshot_support where the backend takes snapshots', async () => {
      // Act
      const pools = (await t.client.expect(200, 'GET', '/scheduler-stats/pools/detail')).pools;

      // Assess
      const support = Object.fromEntries(pools.map((p: { name: string; capabilities: Record<string, unknown> }) => [p.name, p.capabilities['create_share_from_snapshot_support']]));
      expect(support).toEqual({ [ALPHA]: true, [ZONED]: true, 'local@plain#default': false, [BROKEN]: true });
    });
  });

  /** A snapshot in `error`: taken on a backend whose snapshot folder cannot be made (a file where the folder goes). */
  async function erroredSnapshot(): Promise<{ id: string; share_id: string }> {
    const share = (await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, share_type: 'cloneable' } })).share;
    const instanceDir = path.dirname(await t.client.exportPath(share.id));
    await mkdir(instanceDir, { recursive: true });
    await writeFile(path.join(instanceDir, 'snapshots'), 'not a folder');
    const answer = await alice.request('POST', '/snapshots', { snapshot: { share_id: share.id, name: 'broken' } });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const snapshots = (await alice.expect(200, 'GET', `/snapshots/detail?share_id=${share.id}`)).snapshots;
    expect(snapshots).toMatchObject([{ status: 'error' }]);
    return snapshots[0];
  }
});
