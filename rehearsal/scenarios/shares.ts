/**
 * What scenarios do again and again: make an access-point share on a scenario's pool, connect a client
 * to it (a mount of its access point, counted in the file system's client connections), follow a share's
 * task_state, and find an instance's folder.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ManilaClient } from '../../local/manila-client.ts';
import type { PoolPair } from '../aws/backends.ts';
import type { ClientConnection } from '../efs/client-connections.ts';
import type { Rehearsal } from '../rehearsal.ts';
import { check, waitFor } from './scenario.ts';

/** A mount of a share by one of its clients. */
export interface ClientMount {
  readonly folder: string;
  /** The client unmounts: its connection ends. */
  unmount(): void;
}

export async function mountAsClient(rehearsal: Rehearsal, fileSystemId: string, accessPointId: string | undefined, who: string): Promise<ClientMount> {
  const folder = await rehearsal.efs.mount({ fileSystemId, accessPointId });
  const connection: ClientConnection = rehearsal.connections.open(fileSystemId, who);
  return { folder, unmount: () => connection.close() };
}

export interface AccessPointShare {
  readonly id: string;
  readonly accessPoint: string;
  /** The instance's folder, `/shares/share-<instance id>` on the file system. */
  readonly folder: string;
}

export async function createAccessPointShare(rehearsal: Rehearsal, client: ManilaClient, pair: PoolPair, name: string): Promise<AccessPointShare> {
  const type = `ap-${name}`;
  await client.expect(200, 'POST', '/types', { share_type: { name: type, extra_specs: { driver_handles_share_servers: 'False' } } });
  const share = (await client.expect(200, 'POST', '/shares', {
    share: { share_proto: 'NFS', size: 1, name, share_type: type, scheduler_hints: { only_host: pair.source } },
  })).share;
  const shown = await waitFor('the share to be available', async () => {
    const current = await client.share(share.id);
    return current.status === 'available' ? current : undefined;
  });
  check(shown.host === pair.source, `share ${share.id} was placed on ${shown.host}, not ${pair.source}`);
  const accessPoint = await accessPointOf(client, share.id);
  return { id: share.id, accessPoint, folder: await rehearsal.efs.accessPointFolder(accessPoint) };
}

export async function accessPointOf(client: ManilaClient, shareId: string): Promise<string> {
  const locations = (await client.expect(200, 'GET', `/shares/${shareId}/export_locations`)).export_locations as { path: string }[];
  const accessPoint = locations.map((location) => /^efs-ap:\/\/(fsap-[0-9a-f]+)/.exec(location.path)?.[1]).find(Boolean);
  check(accessPoint, `share ${shareId} has no access point among its export locations ${JSON.stringify(locations)}`);
  return accessPoint;
}

/** Polls the share until its task_state is one of `states`; migration_error (unless awaited) fails with the migration's error. */
export async function untilTaskState(client: ManilaClient, shareId: string, states: readonly string[], timeoutMs = 330_000): Promise<Record<string, any>> {
  return waitFor(states.join(' or '), async () => {
    const shown = await client.share(shareId);
    if (shown.task_state === 'migration_error' && !states.includes('migration_error')) {
      throw new Error(`migration_error: ${JSON.stringify((await client.migrations(shareId)).at(-1)?.error)}`);
    }
    return states.includes(shown.task_state) ? shown : undefined;
  }, timeoutMs, 500);
}

/** Waits until the purge of a deleted instance's folder has removed it. */
export async function untilPurged(folder: string, what: string): Promise<void> {
  await waitFor(`${what} (${path.basename(folder)}) to be purged`, async () => (existsSync(folder) ? undefined : true), 120_000, 500);
}
