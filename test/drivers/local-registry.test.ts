import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, NotFoundError } from '../../lambdas/core/errors.ts';
import { LocalConfigError, LocalDriverRegistry, loadLocalBackends } from '../../lambdas/drivers/local/index.ts';
import { makeTempDir } from './local-fixtures.ts';

describe('Class: LocalDriverRegistry', () => {
  const registry = new LocalDriverRegistry([
    { backend: 'alpha', root: '/srv/smig/alpha', pools: [{ name: 'default' }] },
    { backend: 'beta', root: '/srv/smig/beta', pools: [{ name: 'default' }, { name: 'fast' }] },
  ]);

  describe('Method: forHost', () => {
    it.each(['local@beta#fast', 'local@beta'])('finds the driver of %s', (host) => {
      // Act
      const driver = registry.forHost(host);

      // Assess
      expect(driver.backendHost).toBe('local@beta');
    });

    it.each(['local@gamma#default', 'local@gamma', 'other@alpha', 'local@alpha#fast'])('throws NotFoundError for %s', (host) => {
      // Act & Assess
      expect(() => registry.forHost(host)).toThrow(NotFoundError);
    });

    it('throws InvalidRequestError for a malformed host', () => {
      // Act & Assess
      expect(() => registry.forHost('not a host')).toThrow(InvalidRequestError);
    });
  });

  describe('Method: all', () => {
    it('lists one driver per backend', () => {
      // Act & Assess
      expect(registry.all().map((driver) => driver.backendHost)).toEqual(['local@alpha', 'local@beta']);
    });
  });

  it('refuses two backends sharing a folder', () => {
    // Act & Assess
    expect(
      () =>
        new LocalDriverRegistry([
          { backend: 'alpha', root: '/srv/smig', pools: [{ name: 'default' }] },
          { backend: 'beta', root: '/srv/smig/beta', pools: [{ name: 'default' }] },
        ]),
    ).toThrow(/overlapping roots/);
  });
});

describe('Function: loadLocalBackends', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterEach(() => cleanup());

  it('defaults to alpha and beta under <dataDir>/backends, with snapshots', async () => {
    // Act
    const backends = await loadLocalBackends(dir);

    // Assess
    expect(backends).toEqual(
      ['alpha', 'beta'].map((backend) => ({
        host: 'local',
        backend,
        root: path.join(dir, 'backends', backend),
        pools: [{ name: 'default' }],
        driver_handles_share_servers: false,
        security_service_types: [],
        share_backend_name: backend,
        snapshot_support: true,
      })),
    );
    const registry = new LocalDriverRegistry(backends);
    expect(registry.forHost('local@alpha#default').backendHost).toBe('local@alpha');
    expect(registry.forHost('local@beta#default').backendHost).toBe('local@beta');
  });

  it('reads a config file, resolving a relative root against its folder', async () => {
    // Prepare
    const file = path.join(dir, 'backends.json');
    const backends = [{ backend: 'gold', root: 'gold', pools: [{ name: 'p1', total_capacity_gb: 50 }], snapshot_support: true }];
    await writeFile(file, JSON.stringify({ backends }));

    // Act
    const loaded = await loadLocalBackends('/unused', file);

    // Assess
    expect(loaded).toEqual([
      {
        host: 'local',
        backend: 'gold',
        root: path.join(dir, 'gold'),
        pools: [{ name: 'p1', total_capacity_gb: 50 }],
        driver_handles_share_servers: false,
        security_service_types: [],
        share_backend_name: 'gold',
        snapshot_support: true,
      },
    ]);
  });

  it.each([
    ['{ "backends": [ { "backend": "gold", "root": "/x", "pool": [] } ] }', /backends\[0\] has unknown key "pool"/],
    ['{ "backends": [ { "backend": "gold", "root": "/x", "pools": [ { "name": "p", "total_capacity_gb": -1 } ] } ] }', /backends\[0\]\.pools\[0\]\.total_capacity_gb must be a positive number/],
    ['{ "backends": [ { "backend": "gold", "root": "/x", "pools": [ { "name": "p" } ], "security_service_types": ["nis"] } ] }', /security_service_types must be a list of ldap, kerberos, active_directory/],
    ['{ "backends": [] }', /"backends" must be a non-empty array/],
    ['{ "backends": ', /is not valid JSON/],
  ])('rejects a bad config: %s', async (content, message) => {
    // Prepare
    const file = path.join(dir, 'backends.json');
    await writeFile(file, content);

    // Act & Assess
    const result = loadLocalBackends(dir, file);
    await expect(result).rejects.toThrow(LocalConfigError);
    await expect(result).rejects.toThrow(message);
  });

  it('says so when the config file does not exist', async () => {
    // Act & Assess
    await expect(loadLocalBackends(dir, path.join(dir, 'missing.json'))).rejects.toThrow(/missing\.json does not exist/);
  });
});
