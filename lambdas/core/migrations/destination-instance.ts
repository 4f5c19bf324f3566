import type { DriverMigrationRequest } from '../../drivers/driver.ts';
import { parseHost } from '../host.ts';
import type { Migration, Share, ShareInstance } from '../model.ts';
import { ShareStatus } from '../model.ts';
import { findInstance, instanceOf, withInstance } from '../shares/share-instances.ts';
import type { MigrationDeps } from './migration-deps.ts';
import { loadShare, patchLockedShare } from './migration-records.ts';

/**
 * Adds the destination instance to the share (status `migrating_to`) and marks the source `migrating`.
 * Idempotent: the destination's id was fixed when the migration was created.
 */
export async function ensureDestinationInstance(deps: MigrationDeps, migration: Migration): Promise<{ share: Share; source: ShareInstance; destination: ShareInstance }> {
  const share = await patchLockedShare(deps, migration.share_id, migration.id, (s) => {
    const source = instanceOf(s, migration.source_instance_id);
    if (findInstance(s, migration.destination_instance_id) && source.status === ShareStatus.MIGRATING) return null;
    const destination: ShareInstance = findInstance(s, migration.destination_instance_id) ?? {
      id: migration.destination_instance_id,
      share_id: s.id,
      host: migration.destination_host,
      status: ShareStatus.MIGRATING_TO,
      share_type_id: migration.options.new_share_type_id ?? s.share_type_id,
      export_locations: [],
      share_network_id: migration.destination_share_network_id ?? null,
      created_at: deps.clock.now().toISOString(),
    };
    return withInstance(withInstance(s, { ...source, status: ShareStatus.MIGRATING }), destination);
  });
  return {
    share,
    source: instanceOf(share, migration.source_instance_id),
    destination: instanceOf(share, migration.destination_instance_id),
  };
}

export async function driverRequest(deps: MigrationDeps, migration: Migration): Promise<DriverMigrationRequest> {
  const share = await loadShare(deps, migration.share_id, migration.id);
  return {
    source: instanceOf(share, migration.source_instance_id),
    destination: findInstance(share, migration.destination_instance_id) ?? {
      id: migration.destination_instance_id,
      share_id: share.id,
      host: migration.destination_host,
      status: ShareStatus.MIGRATING_TO,
      share_type_id: migration.options.new_share_type_id ?? share.share_type_id,
      export_locations: [],
      share_network_id: migration.destination_share_network_id ?? null,
      created_at: migration.created_at,
    },
    destinationHost: parseHost(migration.destination_host),
  };
}
