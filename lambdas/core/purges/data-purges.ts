/**
 * The records of the data deleted instances left on their backends (ShareDriver.dataLeftBehind): kept on
 * the migration that deleted the instance (its source after cutover, its destination after cleanup), or on
 * a share being deleted, until the purge task removed the data. The purge loop (steps/plan-purge.ts) works
 * through them; each record says where the data was and what became of it.
 */
import { NotFoundError } from '../errors.ts';
import type { DataPurgeRecord, Share, ShareInstance } from '../model.ts';
import { PurgeStatus, ShareStatus } from '../model.ts';
import type { MigrationDeps } from '../migrations/migration-deps.ts';
import { patchMigration } from '../migrations/migration-records.ts';
import { updateVersioned } from '../versioned-update.ts';

/** Statuses after which a record needs nothing more. */
export const SETTLED_PURGES: readonly DataPurgeRecord['status'][] = [PurgeStatus.PURGED, PurgeStatus.NOTHING_LEFT];

/** A record for an instance just deleted. */
export function pendingPurge(instance: ShareInstance, at: string): DataPurgeRecord {
  return { instance, status: PurgeStatus.PENDING, location: null, error: null, updated_at: at };
}

/** `records` with `instance` pending, unless it has a record already (a retried step records once). */
export function withPendingPurge(records: readonly DataPurgeRecord[] | undefined, instance: ShareInstance, at: string): readonly DataPurgeRecord[] | null {
  const all = records ?? [];
  return all.some((record) => record.instance.id === instance.id) ? null : [...all, pendingPurge(instance, at)];
}

/** `records` with the one of `instanceId` changed by `change`. */
export function withPurge(records: readonly DataPurgeRecord[], instanceId: string, change: Partial<DataPurgeRecord>): readonly DataPurgeRecord[] {
  return records.map((record) => (record.instance.id === instanceId ? { ...record, ...change } : record));
}

/** Records, after `deleteInstance(instance)` returned, that the instance's leftovers are to be looked for. */
export async function recordDeletedInstance(deps: MigrationDeps, migrationId: string, instance: ShareInstance): Promise<void> {
  const at = deps.clock.now().toISOString();
  await patchMigration(deps, migrationId, (m) => {
    const purges = withPendingPurge(m.purges, instance, at);
    return purges === null ? null : { purges };
  });
}

/** Whose purge records a purge loop works through: a migration's, or a deleted share's. */
export interface PurgeOwner {
  readonly describe: string;
  records(): Promise<readonly DataPurgeRecord[]>;
  update(instanceId: string, change: Partial<DataPurgeRecord>): Promise<void>;
  /** Everything is settled: a deleted share's record goes. */
  done(): Promise<void>;
}

export function migrationPurges(deps: MigrationDeps, migrationId: string): PurgeOwner {
  return {
    describe: `migration ${migrationId}`,
    async records() {
      // None: cleanup after a first state that failed before it created the migration.
      return (await deps.migrations.get(migrationId))?.purges ?? [];
    },
    async update(instanceId, change) {
      await patchMigration(deps, migrationId, (m) => ({ purges: withPurge(m.purges ?? [], instanceId, change) }));
    },
    async done() {},
  };
}

/** A share being deleted (`deleting`) whose instances left data: its record goes once every purge is settled. */
export function deletedSharePurges(deps: MigrationDeps, shareId: string): PurgeOwner {
  const ids = { shareId };
  const load = async (): Promise<Share> => {
    const share = await deps.shares.get(shareId);
    if (!share) throw new NotFoundError(`Share ${shareId} could not be found.`, ids);
    if (share.status !== ShareStatus.DELETING) throw new NotFoundError(`Share ${shareId} is not being deleted (status ${share.status}): it has no data to purge.`, ids);
    return share;
  };
  return {
    describe: `deleted share ${shareId}`,
    async records() {
      const share = await deps.shares.get(shareId);
      // Already gone: a retried execution after the record was deleted.
      return share ? ((await load()).purges ?? []) : [];
    },
    async update(instanceId, change) {
      await updateVersioned(deps.shares, shareId, (s) => ({ ...s, purges: withPurge(s.purges ?? [], instanceId, change) }), ids, 'Share');
    },
    async done() {
      const share = await deps.shares.get(shareId);
      if (!share) return;
      if ((share.purges ?? []).every((record) => SETTLED_PURGES.includes(record.status)) && share.status === ShareStatus.DELETING) {
        await deps.shares.delete(shareId, share.version);
      }
    },
  };
}
