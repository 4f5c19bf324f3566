import { NotFoundError } from '../errors.ts';
import type { Share, ShareSnapshot, ShareSnapshotInstance } from '../model.ts';
import { SnapshotStatus } from '../model.ts';
import type { ShareStore } from '../ports.ts';

/**
 * A share's snapshots live in the share's record, next to its instances and access rules, so one
 * conditional write decides a snapshot change and the share's state (busy, migrating) together. These
 * are the record's pure edits.
 */

export function snapshotsOf(share: Share): readonly ShareSnapshot[] {
  return share.snapshots ?? [];
}

export function findSnapshot(share: Share, snapshotId: string): ShareSnapshot | undefined {
  return snapshotsOf(share).find((s) => s.id === snapshotId);
}

export function snapshotOf(share: Share, snapshotId: string): ShareSnapshot {
  const snapshot = findSnapshot(share, snapshotId);
  if (!snapshot) throw new NotFoundError(`Snapshot ${snapshotId} could not be found.`, { shareId: share.id });
  return snapshot;
}

/** The snapshot and its share, by the snapshot's id: every share that has snapshots (the store's sparse index of them) is looked at. */
export async function locateSnapshot(shares: Pick<ShareStore, 'listWithSnapshots'>, snapshotId: string): Promise<{ share: Share; snapshot: ShareSnapshot }> {
  for (const share of await shares.listWithSnapshots()) {
    const snapshot = findSnapshot(share, snapshotId);
    if (snapshot) return { share, snapshot };
  }
  throw new NotFoundError(`Snapshot ${snapshotId} could not be found.`);
}

/** The share with one snapshot replaced (or added when absent). */
export function withSnapshot(share: Share, snapshot: ShareSnapshot): Share {
  const current = snapshotsOf(share);
  const exists = current.some((s) => s.id === snapshot.id);
  return { ...share, snapshots: exists ? current.map((s) => (s.id === snapshot.id ? snapshot : s)) : [...current, snapshot] };
}

export function withoutSnapshot(share: Share, snapshotId: string): Share {
  return { ...share, snapshots: snapshotsOf(share).filter((s) => s.id !== snapshotId) };
}

/** The snapshot's copy on a share instance, if it has one there. */
export function snapshotInstanceOn(snapshot: ShareSnapshot, shareInstanceId: string): ShareSnapshotInstance | undefined {
  return snapshot.instances.find((i) => i.share_instance_id === shareInstanceId);
}

/** The snapshot with one of its instances replaced (or added when absent). */
export function withSnapshotInstance(snapshot: ShareSnapshot, instance: ShareSnapshotInstance): ShareSnapshot {
  const exists = snapshot.instances.some((i) => i.id === instance.id);
  return { ...snapshot, instances: exists ? snapshot.instances.map((i) => (i.id === instance.id ? instance : i)) : [...snapshot.instances, instance] };
}

/**
 * The share without the snapshot instances on one of its instances (that instance is going away, and
 * the driver removes its snapshots with it). A snapshot left with no instance is kept, in `error`, so
 * that nothing disappears silently; the workflow never leaves one so (cutover checks every snapshot has
 * its copy on the destination first).
 */
export function withoutSnapshotInstancesOn(share: Share, shareInstanceId: string): Share {
  if (!share.snapshots) return share;
  return {
    ...share,
    snapshots: share.snapshots.map((snapshot) => {
      const instances = snapshot.instances.filter((i) => i.share_instance_id !== shareInstanceId);
      if (instances.length === snapshot.instances.length) return snapshot;
      return { ...snapshot, instances, ...(instances.length === 0 ? { status: SnapshotStatus.ERROR } : {}) };
    }),
  };
}

/** The share with the snapshot instances of one share instance moved to another (a driver moved the data and its snapshots). */
export function withSnapshotInstancesMoved(share: Share, fromInstanceId: string, toInstanceId: string): Share {
  if (!share.snapshots) return share;
  return {
    ...share,
    snapshots: share.snapshots.map((snapshot) => ({
      ...snapshot,
      instances: snapshot.instances.map((i) => (i.share_instance_id === fromInstanceId ? { ...i, share_instance_id: toInstanceId } : i)),
    })),
  };
}

/** Oldest first (ties by id), the order a migration replays them in. */
export function oldestFirst(snapshots: readonly ShareSnapshot[]): ShareSnapshot[] {
  return [...snapshots].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}
