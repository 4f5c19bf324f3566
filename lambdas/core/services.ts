import type { OperatorInsight } from './operator-insight.ts';
import type { AccessLevel, AccessRule, AccessType, Migration, Pool, SecurityService, SecurityServiceType, Share, ShareNetwork, ShareProto, ShareType } from './model.ts';
import type { ShareSnapshot, ShareStatus } from './model.ts';
import type { TaskState } from './task-state.ts';
import type { ShareListRequest, SharePage } from './shares/share-list.ts';
import type { ScheduleService } from './schedules/schedule-service.ts';
import type { QuotaService } from './quotas/quota-service.ts';

/**
 * What the API (and the demo) can ask of the domain. The API handler translates Manila's HTTP
 * shapes onto these calls and the domain's errors back onto Manila's fault bodies.
 */

export interface CreateShareRequest {
  readonly name?: string | null;
  readonly description?: string | null;
  readonly size: number;
  readonly share_proto: ShareProto;
  /** A share type id or name; the default type when absent. */
  readonly share_type?: string | null;
  readonly availability_zone?: string | null;
  readonly metadata?: Record<string, string>;
  readonly is_public?: boolean;
  readonly share_network_id?: string | null;
  /** Manila's `only_host` scheduler hint (2.67+, admin): place the share on exactly this pool. */
  readonly only_host?: string | null;
  /**
   * Create the share from this snapshot (lambdas/core/shares/share-from-snapshot.ts): its data, on its parent
   * share's pool, of the parent's type; `size` must be at least the snapshot's.
   */
  readonly snapshot_id?: string | null;
  readonly project_id: string;
  readonly user_id: string;
}

/** Manila's exact-match share filters (shares/share-list.ts matchesFilter). */
export interface ShareFilter {
  readonly name?: string;
  readonly status?: string;
  readonly host?: string;
  readonly share_type_id?: string;
}

export interface AllowAccessRequest {
  readonly access_type: AccessType;
  readonly access_to: string;
  readonly access_level: AccessLevel;
  readonly metadata?: Record<string, string>;
}

/** What deleting a share did. */
export interface ShareDeletion {
  /**
   * Its instances left data their drivers cannot remove (an EFS access point's folder): the share stays
   * `deleting`, with the data recorded in `purges`, until a purge execution removed it
   * (MigrationService.startDataPurge). False: the share is gone.
   */
  readonly purge_pending: boolean;
}

export interface ShareService {
  create(request: CreateShareRequest): Promise<Share>;
  get(shareId: string): Promise<Share>;
  /** A page of shares, from the store's indexes; an unknown marker, or one the caller cannot see, is bad input. */
  list(request: ShareListRequest): Promise<SharePage>;
  /**
   * Refused while a migration holds the share. With `force` (force_delete), any status is accepted and
   * driver failures do not keep the record, as Manila's forced delete.
   */
  delete(shareId: string, options?: { readonly force?: boolean }): Promise<ShareDeletion>;
  /** reset_status (admin): the share's and its active instance's status, whatever they were. */
  resetStatus(shareId: string, status: ShareStatus): Promise<void>;
  allowAccess(shareId: string, request: AllowAccessRequest): Promise<AccessRule>;
  denyAccess(shareId: string, accessId: string): Promise<void>;
  listAccessRules(shareId: string): Promise<AccessRule[]>;
}

/** extend and shrink (lambdas/core/shares/share-resize.ts): answer the share as it is afterwards. */
export interface ShareResizeService {
  /** `force` (admin, 2.64+): past the scheduler's capacity check, to the driver directly. `isAdmin`: the type's admin extend limit applies. */
  extend(shareId: string, newSize: number, options: { readonly force: boolean; readonly isAdmin: boolean }): Promise<Share>;
  shrink(shareId: string, newSize: number): Promise<Share>;
}

export interface CreateShareTypeRequest {
  readonly name: string;
  readonly description?: string | null;
  readonly is_public?: boolean;
  /** Must hold driver_handles_share_servers, as in Manila. */
  readonly extra_specs: Record<string, string>;
}

/** PUT /types/{id} (2.50+): what is given changes; a description of "" clears it. */
export interface UpdateShareTypeRequest {
  readonly name?: string;
  readonly description?: string;
  readonly is_public?: boolean;
}

export interface ShareTypeService {
  create(request: CreateShareTypeRequest): Promise<ShareType>;
  update(id: string, request: UpdateShareTypeRequest): Promise<ShareType>;
  /** By id or name. */
  get(idOrName: string): Promise<ShareType>;
  getDefault(): Promise<ShareType>;
  list(): Promise<ShareType[]>;
  setExtraSpecs(id: string, specs: Record<string, string>): Promise<ShareType>;
  unsetExtraSpec(id: string, key: string): Promise<void>;
  delete(id: string): Promise<void>;
}

/** Private share types' projects (lambdas/core/share-types/share-type-access.ts); by type id or name. */
export interface ShareTypeAccessService {
  /** Not found for a public type, as Manila answers. */
  listProjects(idOrName: string): Promise<{ readonly type: ShareType; readonly projects: readonly string[] }>;
  /** Conflict for a public type or a project already granted. */
  addProject(idOrName: string, projectId: string): Promise<void>;
  /** Conflict for a public type; not found for a project not granted. */
  removeProject(idOrName: string, projectId: string): Promise<void>;
}

export interface PoolFilterRequest {
  readonly host?: string;
  readonly backend?: string;
  readonly pool?: string;
  /** A share type id or name: only pools that can hold shares of this type. */
  readonly share_type?: string;
}

export interface PoolService {
  list(filter?: PoolFilterRequest): Promise<Pool[]>;
}

export interface StartMigrationRequest {
  readonly host: string;
  readonly writable: boolean;
  readonly preserve_metadata: boolean;
  readonly preserve_snapshots: boolean;
  readonly nondisruptive: boolean;
  readonly force_host_assisted_migration: boolean;
  readonly new_share_type_id?: string | null;
  readonly new_share_network_id?: string | null;
  readonly auto_complete?: boolean;
  /** Seconds between refreshes of the bulk copy while waiting for migration_complete. */
  readonly refresh_interval?: number | null;
  /** Copy with this many copy tasks, each a partition of the tree (MigrationOptions.partitions). */
  readonly partitions?: number;
  /** How many of them run at once. */
  readonly max_copy_tasks?: number;
  /** The copy tasks' size (MigrationOptions.copy_task_cpu, copy_task_memory, copy_concurrency). */
  readonly copy_task_cpu?: number;
  readonly copy_task_memory?: number;
  readonly copy_concurrency?: number;
}

/** migration_get_progress's answer, in Manila's shape. */
export interface MigrationProgressView {
  readonly task_state: TaskState | null;
  readonly total_progress: number;
  readonly details: Record<string, unknown>;
}

/** The `retype` share action (our extension): change a share's type, migrating it when its pool cannot keep it. */
export interface RetypeRequest {
  /** A share type id or name. */
  readonly new_share_type: string;
  /** `never`: refuse when the share would have to move. @default 'on-demand' */
  readonly migration_policy?: 'on-demand' | 'never';
  /** @default false: the migration waits for migration_complete like any other */
  readonly auto_complete?: boolean;
}

export interface RetypeResult {
  readonly share_type_id: string;
  /** The migration that moves the share, or null when its pool already satisfies the new type. */
  readonly migration: Migration | null;
}

export interface MigrationService {
  /** Validates, locks the share and starts the workflow execution. */
  start(shareId: string, request: StartMigrationRequest): Promise<Migration>;
  getProgress(shareId: string): Promise<MigrationProgressView>;
  complete(shareId: string): Promise<void>;
  cancel(shareId: string): Promise<void>;
  /**
   * Manila's reset_task_state: an admin override of the share's task_state (null clears it). Refused while a
   * migration that has not ended holds the share; null or a final state releases a lock left by one that has.
   */
  resetTaskState(shareId: string, taskState: TaskState | null): Promise<void>;
  /** Retype built on migration, as the blueprint planned: the pool filter picks the destination. */
  retype(shareId: string, request: RetypeRequest): Promise<RetypeResult>;
  listForShare(shareId: string): Promise<Migration[]>;
  get(migrationId: string): Promise<Migration>;
  /**
   * Starts the purge of the data a deleted share's instances left (ShareDeletion.purge_pending): an
   * execution of the migration state machine with a purge-only input, which removes the share's record
   * once the data is gone.
   */
  startDataPurge(shareId: string): Promise<void>;
}

export interface CreateSecurityServiceRequest {
  readonly type: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly dns_ip?: string | null;
  readonly server?: string | null;
  readonly domain?: string | null;
  readonly user?: string | null;
  readonly password?: string | null;
  readonly ou?: string | null;
  readonly project_id: string;
}

export interface SecurityServiceService {
  create(request: CreateSecurityServiceRequest): Promise<SecurityService>;
  get(id: string): Promise<SecurityService>;
  list(): Promise<SecurityService[]>;
  /** Refused while a share network uses it. */
  delete(id: string): Promise<void>;
}

export interface CreateShareNetworkRequest {
  readonly name?: string | null;
  readonly description?: string | null;
  readonly neutron_net_id?: string | null;
  readonly neutron_subnet_id?: string | null;
  readonly project_id: string;
}

export interface ShareNetworkService {
  create(request: CreateShareNetworkRequest): Promise<ShareNetwork>;
  get(id: string): Promise<ShareNetwork>;
  list(): Promise<ShareNetwork[]>;
  /** Refused while shares use it. */
  delete(id: string): Promise<void>;
  /** Refused while shares use the network (their share servers would have to join it). */
  addSecurityService(networkId: string, securityServiceId: string): Promise<ShareNetwork>;
  removeSecurityService(networkId: string, securityServiceId: string): Promise<ShareNetwork>;
  /** The security service types a share server on this network must join. */
  securityServiceTypes(networkId: string): Promise<SecurityServiceType[]>;
}

export interface CreateSnapshotRequest {
  readonly share_id: string;
  readonly name?: string | null;
  readonly description?: string | null;
  /** Manila's `force`: snapshot a share whose status is not `available` (never one a migration holds). */
  readonly force?: boolean;
  readonly project_id: string;
  readonly user_id: string;
}

export interface SnapshotFilter {
  readonly share_id?: string;
  readonly name?: string;
  readonly status?: string;
}

/** Share snapshots (Manila's share snapshot API). Refused while a migration holds the share. */
export interface SnapshotService {
  create(request: CreateSnapshotRequest): Promise<ShareSnapshot>;
  get(snapshotId: string): Promise<ShareSnapshot>;
  list(filter?: SnapshotFilter): Promise<ShareSnapshot[]>;
  delete(snapshotId: string): Promise<void>;
}

/** Checks X-Auth-Token. */
export interface TokenVerifier {
  verify(token: string | undefined): Promise<{
    readonly projectId: string;
    readonly userId: string;
    readonly isAdmin: boolean;
    /** Keystone's role names on the project (implied roles included); `reader` alone is read-only. @default - none: admin or member by isAdmin */
    readonly roles?: readonly string[];
  }>;
}

export interface DomainServices {
  readonly shares: ShareService;
  /** extend and shrink. */
  readonly resizes: ShareResizeService;
  readonly shareTypes: ShareTypeService;
  /** Private share types' projects. */
  readonly shareTypeAccess: ShareTypeAccessService;
  /** Quota sets; the same object enforces them on the services' writes. */
  readonly quotas: QuotaService;
  readonly pools: PoolService;
  readonly migrations: MigrationService;
  readonly tokens: TokenVerifier;
  readonly snapshots: SnapshotService;
  readonly shareNetworks: ShareNetworkService;
  readonly securityServices: SecurityServiceService;
  /** Scheduled migrations (our extension). */
  readonly schedules: ScheduleService;
  /** The console's view of the workflow and the events (operator-insight.ts). @default - not served here */
  readonly insight?: OperatorInsight;
}
