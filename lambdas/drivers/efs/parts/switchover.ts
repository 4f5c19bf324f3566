/**
 * The switchover part: who may still write to an instance made read-only, from the ClientConnections
 * CloudWatch reports for its file system (client-connections.ts). A file-system instance's count is its own
 * clients'; an access point shares its file system with every other instance of the pool, so its count
 * includes theirs and only zero proves anything. Sends GetMetricData only: no EFS call.
 */
import type { ShareInstance } from '../../../core/model.ts';
import type { SwitchoverBlockers } from '../../driver.ts';
import type { EfsBackend } from '../backend.ts';
import { EfsMode } from '../config.ts';
import { efsVolumeFor } from '../naming.ts';
import type { EfsSwitchoverPart } from '../parts.ts';
import { writersSince } from './client-connections.ts';

async function switchoverBlockers(backend: EfsBackend, instance: ShareInstance, readOnlySince: Date): Promise<SwitchoverBlockers> {
  const pool = backend.poolOf(instance);
  if (backend.config.mode === EfsMode.ACCESS_POINT) return writersSince(backend, pool.file_system_id!, readOnlySince, 'shared');
  // The file system is named by the instance's export location: no EFS call.
  return writersSince(backend, efsVolumeFor(instance).fileSystemId, readOnlySince, 'instance');
}

export const efsSwitchover: EfsSwitchoverPart = { switchoverBlockers };
