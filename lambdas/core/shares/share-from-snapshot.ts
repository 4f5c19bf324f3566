import type { DriverRegistry } from '../../drivers/driver.ts';
import { InvalidRequestError, NotFoundError } from '../errors.ts';
import type { Pool, Share, ShareInstance, ShareSnapshot, ShareSnapshotInstance, ShareType } from '../model.ts';
import { SnapshotStatus } from '../model.ts';
import type { DriverPoolService } from '../pools/pool-service.ts';
import { findZone, poolZone } from '../pools/availability-zones.ts';
import type { ShareStore } from '../ports.ts';
import type { CreateShareRequest, ShareTypeService } from '../services.ts';
import { locateSnapshot, snapshotInstanceOn } from '../snapshots/share-snapshots.ts';
import { activeInstance } from './share-instances.ts';

/**
 * Where a share created from a snapshot comes from, checked as Manila's share API create checks it
 * (manila/share/api.py create, manila/api/v2/shares.py _create): the snapshot is `available`; the size is at
 * least the snapshot's; the type is the parent share's (another is bad input);
 * the zone and the share network are the parent's (another is bad input). Manila's default
 * (use_scheduler_creating_share_from_snapshot = False) places the new share on the parent's host, pool
 * included, past the scheduler: so here, and that pool must report create_share_from_snapshot_support and
 * its driver must implement it, else Manila's "may not be created from snapshot" 400. The share protocol is
 * not compared with the parent's: Manila does not.
 */
export interface SnapshotSource {
  readonly snapshot: ShareSnapshot;
  readonly parent: Share;
  /** The parent's instance that holds the snapshot's copy; the new share goes to its pool. */
  readonly instance: ShareInstance;
  readonly copy: ShareSnapshotInstance;
  readonly pool: Pool;
  readonly type: ShareType;
  /** GiB: at least the snapshot's (the API asks for the snapshot's when the request names none). */
  readonly size: number;
  readonly shareNetworkId: string | null;
}

export interface SnapshotSourceDeps {
  readonly shares: ShareStore;
  readonly shareTypes: ShareTypeService;
  readonly pools: DriverPoolService;
  readonly drivers: DriverRegistry;
}

export async function snapshotSource(deps: SnapshotSourceDeps, snapshotId: string, request: CreateShareRequest): Promise<SnapshotSource> {
  const { share: parent, snapshot } = await locateSnapshot(deps.shares, snapshotId);
  const ids = { shareId: parent.id };
  if (snapshot.status !== SnapshotStatus.AVAILABLE) {
    throw new InvalidRequestError(`Invalid share snapshot: status must be '${SnapshotStatus.AVAILABLE}'.`, ids);
  }
  const size = request.size;
  if (size < snapshot.size) {
    throw new InvalidRequestError(`Invalid input received: Share size '${size}' must be equal or greater than snapshot size.`, ids);
  }
  const shareNetworkId = request.share_network_id ?? parent.share_network_id;
  if (shareNetworkId !== parent.share_network_id) {
    throw new InvalidRequestError("Share network ID should be the same as snapshot's parent share's or empty", ids);
  }
  const type = request.share_type ? await deps.shareTypes.get(request.share_type) : await deps.shareTypes.get(parent.share_type_id);
  if (type.id !== parent.share_type_id) {
    throw new InvalidRequestError(
      'Invalid input received: Invalid share type specified: the requested share type must match the type of the source share. If a share type is not specified when requesting a new share from a snapshot, the share type of the source share will be applied to the new share..',
      ids,
    );
  }
  const instance = activeInstance(parent);
  const copy = snapshotInstanceOn(snapshot, instance.id);
  if (!copy || copy.status !== SnapshotStatus.AVAILABLE) {
    throw new InvalidRequestError(`Invalid share snapshot: snapshot ${snapshot.id} has no available copy on share ${parent.id}'s instance ${instance.id}.`, ids);
  }
  const pool = await deps.pools.get(instance.host);
  const requested = request.availability_zone ?? null;
  if (requested !== null && requested !== '') {
    // By id or name, as Manila's API looks it up first: one no pool belongs to is not found.
    const zone = findZone(await deps.pools.list(), requested);
    if (!zone) throw new NotFoundError(`Availability zone ${requested} could not be found.`);
    if (zone.name !== poolZone(pool)) {
      throw new InvalidRequestError('Invalid input received: The specified availability zone must be the same as the parent share when creating from snapshot..', ids);
    }
  }
  if (!pool.capabilities.create_share_from_snapshot_support || !deps.drivers.forHost(instance.host).createInstanceFromSnapshot) {
    throw cannotCreateFrom(snapshot.id, parent.id);
  }
  return { snapshot, parent, instance, copy, pool, type, size, shareNetworkId };
}

/** Manila's answer when the parent share lacks create_share_from_snapshot_support (400). */
export function cannotCreateFrom(snapshotId: string, parentShareId?: string): InvalidRequestError {
  return new InvalidRequestError(
    `A new share may not be created from snapshot '${snapshotId}', because the snapshot's parent share does not have that capability.`,
    parentShareId === undefined ? {} : { shareId: parentShareId },
  );
}
