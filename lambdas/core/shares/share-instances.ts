import { NotFoundError } from '../errors.ts';
import type { Share, ShareInstance } from '../model.ts';
import { withoutSnapshotInstancesOn } from '../snapshots/share-snapshots.ts';

export function activeInstance(share: Share): ShareInstance {
  return instanceOf(share, share.active_instance_id);
}

export function instanceOf(share: Share, instanceId: string): ShareInstance {
  const instance = share.instances.find((i) => i.id === instanceId);
  if (!instance) throw new NotFoundError(`Share instance ${instanceId} not found`, { shareId: share.id });
  return instance;
}

export function findInstance(share: Share, instanceId: string): ShareInstance | undefined {
  return share.instances.find((i) => i.id === instanceId);
}

/** The share with one instance replaced (or added when absent). */
export function withInstance(share: Share, instance: ShareInstance): Share {
  const exists = share.instances.some((i) => i.id === instance.id);
  return {
    ...share,
    instances: exists ? share.instances.map((i) => (i.id === instance.id ? instance : i)) : [...share.instances, instance],
  };
}

/** The share without one instance, and without the snapshot copies that lived on it. */
export function withoutInstance(share: Share, instanceId: string): Share {
  return withoutSnapshotInstancesOn({ ...share, instances: share.instances.filter((i) => i.id !== instanceId) }, instanceId);
}
