import { describe, expect, it } from 'vitest';
import { DriverError, InvalidRequestError, NotFoundError } from '../../../lambdas/core/errors.ts';
import {
  creationToken,
  EfsConfigError,
  EfsDriverRegistry,
  efsVolumeFor,
  parseEfsBackends,
  statementPrefix,
} from '../../../lambdas/drivers/efs/index.ts';
import { ACCESS_POINT_BACKEND, BACKEND_FS, FILE_SYSTEM_BACKEND, instance, INSTANCE_ID, makeRegistry, shareTypes } from './fixtures.ts';

describe('Function: parseEfsBackends', () => {
  it('resolves the EFS entries of a backends document with their defaults, leaving entries of other kinds to their drivers', () => {
    // Prepare
    const document = {
      backends: [
        { backend: 'alpha', root: '/srv/alpha', pools: [{ name: 'default' }] },
        { kind: 'efs', backend: 'shared', mode: 'access-point', file_system_id: BACKEND_FS },
        { kind: 'efs', backend: 'dedicated', region: 'eu-west-1', mode: 'file-system', mount_target_subnets: { 'eu-west-1a': 'subnet-0aaaaaaaaaaaaaaa1' } },
      ],
    };

    // Act
    const backends = parseEfsBackends(document, { source: 'SMIG_BACKENDS', defaultRegion: 'eu-west-1' });

    // Assess
    expect(backends).toEqual([
      {
        kind: 'efs',
        host: 'efs',
        backend: 'shared',
        region: 'eu-west-1',
        mode: 'access-point',
        share_backend_name: 'shared',
        total_capacity_gb: 1048576,
        wait_timeout_seconds: 120,
        poll_interval_seconds: 5,
        max_attempts: 5,
        file_system_id: BACKEND_FS,
        pools: [{ name: 'default', total_capacity_gb: 1048576, file_system_id: BACKEND_FS }],
        root_directory: { owner_uid: 0, owner_gid: 0, permissions: '0755' },
      },
      {
        kind: 'efs',
        host: 'efs',
        backend: 'dedicated',
        region: 'eu-west-1',
        mode: 'file-system',
        share_backend_name: 'dedicated',
        total_capacity_gb: 1048576,
        wait_timeout_seconds: 120,
        poll_interval_seconds: 5,
        max_attempts: 5,
        pools: [{ name: 'default', total_capacity_gb: 1048576, file_system: { performance_mode: 'generalPurpose', throughput_mode: 'elastic', encrypted: true } }],
        file_system: { performance_mode: 'generalPurpose', throughput_mode: 'elastic', encrypted: true },
        mount_target_subnets: { 'eu-west-1a': 'subnet-0aaaaaaaaaaaaaaa1' },
        security_group_ids: [],
      },
    ]);
  });

  it('accepts its own output again (a resolved config builds a driver)', () => {
    // Prepare
    const resolved = parseEfsBackends({ backends: [ACCESS_POINT_BACKEND, FILE_SYSTEM_BACKEND] });

    // Act & Assess
    expect(parseEfsBackends({ backends: resolved })).toEqual(resolved);
    expect(new EfsDriverRegistry(resolved, { shareTypes: shareTypes(), parts: {} }).all()).toHaveLength(2);
  });

  it.each([
    [[], /SMIG_BACKENDS: expected an object/],
    ['not an object', /SMIG_BACKENDS: expected an object \{ "backends": \[\.\.\.\] \}/],
    [{ backends: 'x' }, /"backends" must be an array/],
    [{ backends: [{ kind: 'efs', backend: 'a', mode: 'access-point', file_system_id: BACKEND_FS }] }, /backends\[0\]\.region is required \(no default region is configured\)/],
    [{ backends: [{ ...ACCESS_POINT_BACKEND, mode: 'nfs' }] }, /backends\[0\]\.mode must be "access-point" .* or "file-system"/],
    [{ backends: [{ ...ACCESS_POINT_BACKEND, file_system_id: undefined }] }, /backends\[0\]\.pools\[0\] has no file system: set backends\[0\]\.file_system_id or backends\[0\]\.pools\[0\]\.file_system_id/],
    [{ backends: [{ ...ACCESS_POINT_BACKEND, file_system_id: 'fs-xyz' }] }, /file_system_id must be a file system id such as "fs-0123456789abcdef0"/],
    [{ backends: [{ ...ACCESS_POINT_BACKEND, mount_target_subnets: {} }] }, /backends\[0\]\.mount_target_subnets applies only to "file-system" mode/],
    [{ backends: [{ ...ACCESS_POINT_BACKEND, root_directory: { permissions: '755x' } }] }, /root_directory\.permissions must be an octal mode string/],
    [{ backends: [{ ...ACCESS_POINT_BACKEND, colour: 'blue' }] }, /backends\[0\] has unknown key "colour"; allowed: kind, host/],
    [{ backends: [{ ...FILE_SYSTEM_BACKEND, mount_target_subnets: undefined }] }, /mount_target_subnets is required in "file-system" mode/],
    [{ backends: [{ ...FILE_SYSTEM_BACKEND, mount_target_subnets: { 'us-east-1a': 'subnet-0aaaaaaaaaaaaaaa1' } }] }, /zone "us-east-1a" is not in region eu-west-1/],
    [{ backends: [{ ...FILE_SYSTEM_BACKEND, pools: [{ name: 'oz', file_system: { availability_zone: 'eu-west-1c' } }] }] }, /pools\[0\] creates One Zone file systems in eu-west-1c, but backends\[0\]\.mount_target_subnets has no subnet there/],
    [{ backends: [{ ...FILE_SYSTEM_BACKEND, file_system: { performance_mode: 'maxIO', throughput_mode: 'elastic' } }] }, /file_system: Elastic throughput needs the generalPurpose performance mode/],
    [{ backends: [{ ...FILE_SYSTEM_BACKEND, file_system: { performance_mode: 'maxIO', throughput_mode: 'bursting', availability_zone: 'eu-west-1a' } }] }, /One Zone file systems support only the generalPurpose performance mode/],
    [{ backends: [{ ...FILE_SYSTEM_BACKEND, pools: [{ name: 'a' }, { name: 'a' }] }] }, /pools has pool "a" twice/],
    [{ backends: [ACCESS_POINT_BACKEND, ACCESS_POINT_BACKEND] }, /backend "efs@shared" is configured twice/],
    [{ backends: [ACCESS_POINT_BACKEND, { ...ACCESS_POINT_BACKEND, backend: 'again' }] }, new RegExp(`file system ${BACKEND_FS} is the pool of both efs@shared#default and efs@again#default`)],
    [{ backends: [{ ...ACCESS_POINT_BACKEND, max_attempts: 0 }] }, /max_attempts must be an integer from 1 to 20/],
  ])('validates %o', (document, message) => {
    // Act & Assess
    expect(() => parseEfsBackends(document, { source: 'SMIG_BACKENDS' })).toThrow(EfsConfigError);
    expect(() => parseEfsBackends(document, { source: 'SMIG_BACKENDS' })).toThrow(message);
  });
});

describe('Function: parseEfsBackends with a posix_user', () => {
  it.each([
    [
      'a root_directory owned by someone else',
      { root_directory: { owner_uid: 0, owner_gid: 0, permissions: '0750' }, posix_user: { uid: 1000, gid: 1001 } },
      'SMIG_BACKENDS: backends[0].posix_user: backend "efs@shared" makes every request through its access points as uid 1000 gid 1001, ' +
        'but its instance folders would be owned by uid 0 gid 0 (backends[0].root_directory), so the share\'s own clients could not write them: ' +
        'set "root_directory": { "owner_uid": 1000, "owner_gid": 1001, "permissions": "0750" }',
    ],
    [
      'the default root_directory (root)',
      { posix_user: { uid: 1000, gid: 1000 } },
      'SMIG_BACKENDS: backends[0].posix_user: backend "efs@shared" makes every request through its access points as uid 1000 gid 1000, ' +
        'but its instance folders would be owned by uid 0 gid 0 (root_directory\'s default), so the share\'s own clients could not write them: ' +
        'set "root_directory": { "owner_uid": 1000, "owner_gid": 1000, "permissions": "0755" }',
    ],
    [
      'a root_directory of the same user in another group',
      { root_directory: { owner_uid: 1000, owner_gid: 0 }, posix_user: { uid: 1000, gid: 1000 } },
      'SMIG_BACKENDS: backends[0].posix_user: backend "efs@shared" makes every request through its access points as uid 1000 gid 1000, ' +
        'but its instance folders would be owned by uid 1000 gid 0 (backends[0].root_directory), so the share\'s own clients could not write them: ' +
        'set "root_directory": { "owner_uid": 1000, "owner_gid": 1000, "permissions": "0755" }',
    ],
  ])('refuses %s, naming the backend, both ids and what to write', (_case, settings, message) => {
    // Prepare
    const document = { backends: [{ ...ACCESS_POINT_BACKEND, ...settings }] };

    // Act
    let thrown: unknown;
    try {
      parseEfsBackends(document, { source: 'SMIG_BACKENDS' });
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(EfsConfigError);
    expect((thrown as Error).message).toBe(message);
  });

  it('accepts a root_directory owned by the POSIX user', () => {
    // Prepare
    const document = { backends: [{ ...ACCESS_POINT_BACKEND, root_directory: { owner_uid: 1000, owner_gid: 1001 }, posix_user: { uid: 1000, gid: 1001 } }] };

    // Act
    const [backend] = parseEfsBackends(document);

    // Assess
    expect(backend).toMatchObject({ root_directory: { owner_uid: 1000, owner_gid: 1001, permissions: '0755' }, posix_user: { uid: 1000, gid: 1001 } });
  });
});

describe('Class: EfsDriverRegistry', () => {
  const registry = makeRegistry([ACCESS_POINT_BACKEND, FILE_SYSTEM_BACKEND]);

  describe('Method: forHost', () => {
    it.each([
      ['efs@shared#default', 'efs@shared', false],
      ['efs@dedicated', 'efs@dedicated', true],
      ['efs@dedicated#onezone', 'efs@dedicated', true],
    ])('finds the driver of %s', (host, backendHost, dhss) => {
      // Act
      const driver = registry.forHost(host);

      // Assess
      expect(driver.backendHost).toBe(backendHost);
      expect(driver.driverHandlesShareServers).toBe(dhss);
    });

    it.each(['efs@other#default', 'efs@shared#fast', 'local@alpha'])('throws NotFoundError for %s', (host) => {
      // Act & Assess
      expect(() => registry.forHost(host)).toThrow(NotFoundError);
    });

    it('throws InvalidRequestError for a malformed host', () => {
      // Act & Assess
      expect(() => registry.forHost('not a host')).toThrow(InvalidRequestError);
    });
  });

  it('builds from a backends document, with the default region', () => {
    // Act
    const built = EfsDriverRegistry.fromDocument(
      { backends: [{ kind: 'efs', backend: 'shared', mode: 'access-point', file_system_id: BACKEND_FS }] },
      { shareTypes: shareTypes(), defaultRegion: 'ap-southeast-2', parts: {} },
    );

    // Assess
    expect(built.all().map((driver) => [driver.backendHost, driver.config.region])).toEqual([['efs@shared', 'ap-southeast-2']]);
  });
});

describe('Function: efsVolumeFor', () => {
  it("gives the copy task the access point volume from an access-point instance's export locations", () => {
    // Prepare
    const shared = instance({
      export_locations: [
        { id: '1', path: `${BACKEND_FS}.efs.eu-west-1.amazonaws.com:/shares/share-${INSTANCE_ID}`, preferred: true, is_admin_only: false },
        { id: '2', path: 'efs-ap://fsap-0aaaaaaaaaaaaaaa1', preferred: false, is_admin_only: true },
      ],
    });

    // Act & Assess
    expect(efsVolumeFor(shared)).toEqual({
      fileSystemId: BACKEND_FS,
      accessPointId: 'fsap-0aaaaaaaaaaaaaaa1',
      containerPath: `/mnt/efs/${INSTANCE_ID}`,
      region: 'eu-west-1',
      rootDirectory: '/',
    });
  });

  it('gives the whole file system for a file-system instance', () => {
    // Prepare
    const own = instance({ export_locations: [{ id: '1', path: 'fs-0dddddddddddddddd.efs.cn-north-1.amazonaws.com.cn:/', preferred: true, is_admin_only: false }] });

    // Act & Assess
    expect(efsVolumeFor(own)).toEqual({ fileSystemId: 'fs-0dddddddddddddddd', containerPath: `/mnt/efs/${INSTANCE_ID}`, region: 'cn-north-1', rootDirectory: '/' });
  });

  it.each([
    [[{ id: '1', path: '/srv/local/share', preferred: true, is_admin_only: false }], /has no EFS export location/],
    [[{ id: '1', path: `${BACKEND_FS}.efs.eu-west-1.amazonaws.com:/shares/share-x`, preferred: true, is_admin_only: false }], /export locations name no access point/],
  ])('refuses export locations that are not an EFS instance', (locations, message) => {
    // Act & Assess
    expect(() => efsVolumeFor(instance({ export_locations: locations }))).toThrow(DriverError);
    expect(() => efsVolumeFor(instance({ export_locations: locations }))).toThrow(message);
  });
});

describe('Function: creationToken / statementPrefix', () => {
  it('derives stable names from the instance id, within EFS limits', () => {
    // Act & Assess
    expect(creationToken(INSTANCE_ID)).toBe(`smig-${INSTANCE_ID}`);
    expect(creationToken('x'.repeat(80))).toMatch(/^smig-[0-9a-f]{59}$/);
    expect(creationToken('x'.repeat(80))).toBe(creationToken('x'.repeat(80)));
    expect(statementPrefix(INSTANCE_ID)).toBe('Smig5f0c6d1e2a3b4c5d8e9f0a1b2c3d4e5f');
    expect(statementPrefix('not-a-uuid')).toMatch(/^Smig[0-9a-f]{32}$/);
  });
});
