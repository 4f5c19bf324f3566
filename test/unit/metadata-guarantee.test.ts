import { describe, expect, it } from 'vitest';
import type { PoolCapabilities } from '../../lambdas/core/model.ts';
import { describeMetadataRefusal, metadataAtRisk } from '../../lambdas/core/migrations/guarantees.ts';
import { metadataPreserved, parseMetadataKinds, type MetadataKind } from '../../lambdas/core/pools/metadata.ts';

function caps(metadata: { preserved?: readonly MetadataKind[]; forcedOwner?: string } = {}): PoolCapabilities {
  return {
    pool_name: 'p', share_backend_name: 'b', vendor_name: 'test', driver_version: '1', storage_protocol: 'NFS',
    total_capacity_gb: 100, free_capacity_gb: 50, reserved_percentage: 0, driver_handles_share_servers: false,
    snapshot_support: false, create_share_from_snapshot_support: false, revert_to_snapshot_support: false,
    mount_snapshot_support: false, security_service_types: [],
    ...(metadata.preserved ? { metadata_preserved: metadata.preserved } : {}),
    ...(metadata.forcedOwner ? { metadata_forced_owner: metadata.forcedOwner } : {}),
  };
}

/** What the pools of the two drivers report (lambdas/drivers/efs/parts/pools.ts, the local driver's default). */
const LOCAL = caps({ preserved: ['modes', 'owners', 'times', 'xattrs', 'acls'] });
const EFS = caps({ preserved: ['modes', 'owners', 'times'] });
const EFS_POSIX_1000 = caps({ preserved: ['modes', 'times'], forcedOwner: '1000:1000' });
const EFS_POSIX_2000 = caps({ preserved: ['modes', 'times'], forcedOwner: '2000:2000' });
const SILENT = caps();

const kindsOf = (losses: readonly { kind: MetadataKind }[]) => losses.map((loss) => loss.kind);

describe('Function: metadataAtRisk', () => {
  it.each<[string, PoolCapabilities | undefined, PoolCapabilities, MetadataKind[], MetadataKind[]]>([
    ['local to local: nothing at risk', LOCAL, LOCAL, [], []],
    ['a pool that reports nothing keeps everything', LOCAL, SILENT, [], []],
    ['local to EFS: extended attributes and ACLs depend on the share', LOCAL, EFS, [], ['xattrs', 'acls']],
    ['EFS to local: nothing at risk', EFS, LOCAL, [], []],
    ['EFS to EFS: nothing at risk (EFS holds no xattrs or ACLs to lose)', EFS, EFS, [], []],
    ['local to an access point with a POSIX user: owners refused', LOCAL, EFS_POSIX_1000, ['owners'], ['xattrs', 'acls']],
    ['EFS to an access point with a POSIX user: owners refused', EFS, EFS_POSIX_1000, ['owners'], []],
    ['between access points forcing the same owner: nothing at risk', EFS_POSIX_1000, EFS_POSIX_1000, [], []],
    ['between access points forcing other owners: owners refused', EFS_POSIX_1000, EFS_POSIX_2000, ['owners'], []],
    ['from an access point with a POSIX user to EFS: nothing at risk', EFS_POSIX_1000, EFS, [], []],
    ['an unknown source may hold everything', undefined, EFS_POSIX_1000, ['owners'], ['xattrs', 'acls']],
    ['a destination without modes or times refuses them', LOCAL, caps({ preserved: ['owners'] }), ['modes', 'times'], ['xattrs', 'acls']],
  ])('%s', (_, source, destination, refused, contentDecides) => {
    // Act
    const risk = metadataAtRisk(source, destination);

    // Assess
    expect(kindsOf(risk.refused)).toEqual(refused);
    expect(kindsOf(risk.contentDecides)).toEqual(contentDecides);
  });

  it('says which owner the destination forces, and the one the share has', () => {
    // Act
    const fromLocal = metadataAtRisk(LOCAL, EFS_POSIX_1000).refused[0];
    const fromOtherAccessPoint = metadataAtRisk(EFS_POSIX_2000, EFS_POSIX_1000).refused[0];

    // Assess
    expect(fromLocal?.why).toBe("it makes everything written to it owned by 1000:1000, while the share's entries keep their own owners");
    expect(fromOtherAccessPoint?.why).toBe("it makes everything written to it owned by 1000:1000, while the share's entries are owned by 2000:2000");
  });
});

describe('Function: describeMetadataRefusal', () => {
  it('names the destination, what it would lose and what to do', () => {
    // Act
    const message = describeMetadataRefusal('efs@shared#default', metadataAtRisk(LOCAL, EFS_POSIX_1000).refused);

    // Assess
    expect(message).toBe(
      'The share cannot be migrated to efs@shared#default with preserve_metadata=True: the destination would lose ' +
        "owners (it makes everything written to it owned by 1000:1000, while the share's entries keep their own owners). " +
        'Choose a pool that keeps them, or start the migration with preserve_metadata=False to accept the loss.',
    );
  });
});

describe('Function: metadataPreserved', () => {
  it('ignores kinds it does not know, and takes a pool that says nothing to keep everything', () => {
    expect([...metadataPreserved(caps({ preserved: ['modes', 'colour' as MetadataKind] }))]).toEqual(['modes']);
    expect([...metadataPreserved(SILENT)]).toEqual(['modes', 'owners', 'times', 'xattrs', 'acls']);
  });
});

describe('Function: parseMetadataKinds', () => {
  it('orders the kinds and drops repeats', () => {
    expect(parseMetadataKinds(['times', 'modes', 'times'])).toEqual({ kinds: ['modes', 'times'] });
  });

  it.each([['modes'], [['modes', 'colour']], [[1]]])('refuses %j', (value) => {
    expect(parseMetadataKinds(value)).toEqual({ problem: 'must be a list of modes, owners, times, xattrs, acls' });
  });
});
