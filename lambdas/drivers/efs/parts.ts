/**
 * The parts an EfsDriver is composed of. Each part is a stateless object in its own module under parts/,
 * importing only the EFS commands it sends (efs-actions.ts lists them as IAM actions), so a function's
 * bundle holds only the parts its composition root gives the driver. Types only: importing this module
 * pulls no part into a bundle.
 */
import type { Host } from '../../core/host.ts';
import type { AccessRule, ExportLocation, PoolCapabilities, ShareInstance } from '../../core/model.ts';
import type {
  CopyMount, CreateInstanceRequest, DataPurge, DriverMigrationRequest, DriverMigrationStatus, MigrationCompatibility, SwitchoverBlockers,
} from '../driver.ts';
import type { EfsBackend } from './backend.ts';
import type { EfsPartName } from './efs-actions.ts';
import type { EfsVolume } from './naming.ts';

/** getCopyMount's answer: where the copy container finds the instance, and the volume that puts it there. */
export interface EfsCopyMount extends CopyMount {
  /** `/mnt/efs/<instance id>` */
  readonly path: string;
  readonly volume: EfsVolume;
}

/** Pool capabilities (DescribeFileSystems). */
export interface EfsPoolsPart {
  listPools(backend: EfsBackend): Promise<PoolCapabilities[]>;
}

/** Access points, or file systems with their mount targets, of share instances. */
export interface EfsInstancesPart {
  createInstance(backend: EfsBackend, request: CreateInstanceRequest): Promise<readonly ExportLocation[]>;
  deleteInstance(backend: EfsBackend, instance: ShareInstance): Promise<void>;
  getCopyMount(backend: EfsBackend, instance: ShareInstance): Promise<EfsCopyMount>;
  dataLeftBehind(backend: EfsBackend, instance: ShareInstance): Promise<DataPurge | null>;
  /** The instance exists; EFS is elastic, nothing changes on AWS (parts/instance-sizes.ts). */
  extendInstance(backend: EfsBackend, instance: ShareInstance, newSizeGb: number): Promise<void>;
  /** ShareShrinkingPossibleDataLossError when a file-system instance holds more than `newSizeGb`. */
  shrinkInstance(backend: EfsBackend, instance: ShareInstance, newSizeGb: number): Promise<void>;
}

/** Who may still write to an instance made read-only (CloudWatch ClientConnections). */
export interface EfsSwitchoverPart {
  switchoverBlockers(backend: EfsBackend, instance: ShareInstance, readOnlySince: Date): Promise<SwitchoverBlockers>;
}

/** Access rules as file system policy statements. */
export interface EfsAccessRulesPart {
  applyAccessRules(backend: EfsBackend, instance: ShareInstance, rules: readonly AccessRule[], options: { readOnly: boolean }): Promise<void>;
}

/** Driver-assisted migration by EFS replication. */
export interface EfsReplicationPart {
  migrationCheckCompatibility(backend: EfsBackend, source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility>;
  migrationStart(backend: EfsBackend, request: DriverMigrationRequest): Promise<void>;
  migrationContinue(backend: EfsBackend, request: DriverMigrationRequest): Promise<DriverMigrationStatus>;
  migrationComplete(backend: EfsBackend, request: DriverMigrationRequest): Promise<readonly ExportLocation[]>;
  migrationCancel(backend: EfsBackend, request: DriverMigrationRequest): Promise<void>;
  migrationGetProgress(backend: EfsBackend, request: DriverMigrationRequest): Promise<DriverMigrationStatus>;
}

/** A part's interface by its name in efs-actions.ts. */
export interface EfsPartTypes {
  readonly pools: EfsPoolsPart;
  readonly instances: EfsInstancesPart;
  readonly accessRules: EfsAccessRulesPart;
  readonly replication: EfsReplicationPart;
  readonly switchover: EfsSwitchoverPart;
}

/** The parts a driver has; a method whose part is missing throws EfsPartMissingError. */
export type EfsDriverParts = { readonly [name in EfsPartName]?: EfsPartTypes[name] };
