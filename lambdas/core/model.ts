import type { TaskState } from './task-state.ts';
import type { DataPurgeRecord } from './migration-model.ts';

/** Share status values used here (Manila's constants.STATUS_*). */
export const ShareStatus = {
  CREATING: 'creating',
  AVAILABLE: 'available',
  MIGRATING: 'migrating',
  MIGRATING_TO: 'migrating_to',
  DELETING: 'deleting',
  ERROR: 'error',
  /** Set only by an admin's reset_status (Manila's valid reset states); nothing here moves a share into them. */
  ERROR_DELETING: 'error_deleting',
  SERVER_MIGRATING: 'server_migrating',
  INACTIVE: 'inactive',
  /** extend and shrink (lambdas/core/shares/share-resize.ts): while the driver resizes, and when it failed. */
  EXTENDING: 'extending',
  EXTENDING_ERROR: 'extending_error',
  SHRINKING: 'shrinking',
  SHRINKING_ERROR: 'shrinking_error',
  /** Where older Manila releases left a share whose shrink was refused; nothing here sets it, shrink accepts it as Manila does. */
  SHRINKING_POSSIBLE_DATA_LOSS_ERROR: 'shrinking_possible_data_loss_error',
} as const;
export type ShareStatus = (typeof ShareStatus)[keyof typeof ShareStatus];

export type ShareProto = 'NFS' | 'CIFS';

export interface ExportLocation {
  readonly id: string;
  readonly path: string;
  readonly preferred: boolean;
  readonly is_admin_only: boolean;
}

/** One physical copy of a share on one pool. A migration has two: source and destination. */
export interface ShareInstance {
  readonly id: string;
  readonly share_id: string;
  readonly host: string;
  readonly status: ShareStatus;
  readonly share_type_id: string;
  readonly export_locations: readonly ExportLocation[];
  /** The share network the instance's share server serves (driver_handles_share_servers=true backends). */
  readonly share_network_id?: string | null;
  readonly created_at: string;
}

export type AccessType = 'ip' | 'user' | 'cert' | 'cephx';
export type AccessLevel = 'rw' | 'ro';
export type AccessRuleState = 'queued_to_apply' | 'applying' | 'active' | 'error' | 'queued_to_deny' | 'denying';

export interface AccessRule {
  readonly id: string;
  readonly access_type: AccessType;
  readonly access_to: string;
  readonly access_level: AccessLevel;
  readonly state: AccessRuleState;
  readonly access_key: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly created_at: string;
  readonly updated_at: string | null;
}

/** The share, with its instances and access rules, kept as one record so one conditional write guards all. */
export interface Share {
  readonly id: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly size: number;
  readonly share_proto: ShareProto;
  readonly share_type_id: string;
  readonly project_id: string;
  readonly user_id: string;
  readonly status: ShareStatus;
  readonly task_state: TaskState | null;
  readonly is_public: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly availability_zone: string | null;
  readonly share_network_id: string | null;
  /** The snapshot the share was created from (Manila's snapshot_id); null or absent when it was created empty. */
  readonly snapshot_id?: string | null;
  /** The instance users mount. */
  readonly active_instance_id: string;
  readonly instances: readonly ShareInstance[];
  readonly access_rules: readonly AccessRule[];
  /** The migration that holds the share, if any (the lock). */
  readonly migration_id: string | null;
  /** Its snapshots, kept in the share's record like instances and rules (absent on records written before snapshots). */
  readonly snapshots?: readonly ShareSnapshot[];
  /**
   * While a deleted share is `deleting`: the data its instances left on their backends, which the purge
   * task removes before the record goes (lambdas/core/purges/). Absent otherwise.
   */
  readonly purges?: readonly DataPurgeRecord[];
  readonly created_at: string;
  readonly updated_at: string;
  /** Incremented by every write; each write is conditional on the version it read. */
  readonly version: number;
}

/** Snapshot status values (Manila's constants.STATUS_*). */
export const SnapshotStatus = {
  CREATING: 'creating',
  AVAILABLE: 'available',
  ERROR: 'error',
  DELETING: 'deleting',
} as const;
export type SnapshotStatus = (typeof SnapshotStatus)[keyof typeof SnapshotStatus];

/**
 * One snapshot's copy on one share instance (Manila's share snapshot instance). A snapshot has one on the
 * active instance; while a host-assisted migration replays snapshots, also one on the destination.
 */
export interface ShareSnapshotInstance {
  readonly id: string;
  readonly share_instance_id: string;
  readonly status: SnapshotStatus;
  /** Where the driver keeps it, relative to its share instance (so it stays true when the instance moves). */
  readonly provider_location: string | null;
  readonly created_at: string;
}

/** A point-in-time, read-only copy of a share's data (Manila's share snapshot). */
export interface ShareSnapshot {
  readonly id: string;
  readonly share_id: string;
  readonly name: string | null;
  readonly description: string | null;
  /** GiB: the share's size when it was taken. */
  readonly size: number;
  readonly status: SnapshotStatus;
  readonly project_id: string;
  readonly user_id: string;
  /** When it was taken; a migration that replays it keeps this time. */
  readonly created_at: string;
  readonly updated_at: string | null;
  readonly instances: readonly ShareSnapshotInstance[];
}

/** Manila's security service kinds: what a share server joins to authenticate users. */
export const SECURITY_SERVICE_TYPES = ['ldap', 'kerberos', 'active_directory'] as const;
export type SecurityServiceType = (typeof SECURITY_SERVICE_TYPES)[number];

export interface SecurityService {
  readonly id: string;
  readonly type: SecurityServiceType;
  readonly name: string | null;
  readonly description: string | null;
  readonly dns_ip: string | null;
  readonly server: string | null;
  readonly domain: string | null;
  readonly user: string | null;
  readonly ou: string | null;
  readonly project_id: string;
  readonly created_at: string;
  readonly updated_at: string | null;
}

/** A tenant network shares are served on, and the security services its share servers join. */
export interface ShareNetwork {
  readonly id: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly neutron_net_id: string | null;
  readonly neutron_subnet_id: string | null;
  readonly security_service_ids: readonly string[];
  readonly project_id: string;
  readonly created_at: string;
  readonly updated_at: string | null;
}

export interface ShareType {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly is_public: boolean;
  /** Manila's extra specs; `driver_handles_share_servers` is required, as in Manila. */
  readonly extra_specs: Readonly<Record<string, string>>;
  /**
   * A private type's projects (Manila's share type access: share-types/share-type-access.ts); absent on
   * public types and on types no project was granted.
   */
  readonly projects?: readonly string[];
  readonly created_at: string;
}

/** A pool and what its backend reports about it (Manila's scheduler-stats pool capabilities). */
export interface PoolCapabilities {
  readonly pool_name: string;
  readonly share_backend_name: string;
  readonly vendor_name: string;
  readonly driver_version: string;
  readonly storage_protocol: string;
  readonly total_capacity_gb: number;
  readonly free_capacity_gb: number;
  readonly reserved_percentage: number;
  readonly driver_handles_share_servers: boolean;
  readonly snapshot_support: boolean;
  readonly create_share_from_snapshot_support: boolean;
  readonly revert_to_snapshot_support: boolean;
  readonly mount_snapshot_support: boolean;
  readonly security_service_types: readonly string[];
  readonly [extra: string]: unknown;
}

export interface Pool {
  /** `host@backend#pool` */
  readonly name: string;
  readonly host: string;
  readonly backend: string;
  readonly pool: string;
  readonly capabilities: PoolCapabilities;
}

export * from './migration-model.ts';
