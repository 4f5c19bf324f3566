import type { Share } from '../model.ts';

/**
 * The project's quotas, as the domain's writes consult them before they take anything (Manila's
 * QUOTAS.limit_check and reserve): each check throws the QuotaError Manila raises (quota-errors.ts) or
 * returns. Usage is read at the time of the check (quota-usage.ts), not reserved.
 */
export interface QuotaEnforcer {
  /** `per_share_gigabytes`: a share of `sizeGb` is not larger than one share may be. */
  checkShareSize(projectId: string, sizeGb: number): Promise<void>;
  /** One more share of `sizeGb` and `shareTypeId`: `shares` and `gigabytes`, of the project and of the type. */
  checkNewShare(projectId: string, shareTypeId: string, sizeGb: number): Promise<void>;
  /** `increaseGb` more for `share`: `gigabytes`, of the project and of the share's type. */
  checkExtend(share: Share, increaseGb: number): Promise<void>;
  /**
   * A migration of `share` to another share type (migration_start's new_share_type_id): its destination is
   * one more share of its size in that type, `shares` and `gigabytes` of the project and of the type, as
   * Manila's _modify_quotas_for_share_migration reserves them. Nothing to check for the share's own type.
   */
  checkMigrationToType(share: Share, newShareTypeId: string): Promise<void>;
  /** One more snapshot of `share` (of its size): `snapshots` and `snapshot_gigabytes`. */
  checkNewSnapshot(share: Share): Promise<void>;
  /** One more share network: `share_networks`. */
  checkNewShareNetwork(projectId: string): Promise<void>;
}
