/**
 * Who may still write to a file system made read-only, from CloudWatch's `ClientConnections` (GetMetricData,
 * the only call here): the switchover's evidence on EFS. Shared by the switchover part and the replication
 * switch, so only the parts that need it bring the CloudWatch client into a bundle.
 *
 * What EFS enforces (README.md, "What read-only mode holds"): the file system policy is evaluated when a
 * client connects, so a client connected before the source went read-only keeps writing; deleting an access
 * point does not disconnect its clients either. EFS offers no call that lists or drops connections. What it
 * does report is `ClientConnections`, per file system (dimension FileSystemId), one datapoint a minute
 * (statistic Sum). A minute that reports no connection proves that every client connected before the
 * read-only policy had gone by then: any client after it connected under the read-only policy.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { SwitchoverBlockers } from '../../driver.ts';
import type { EfsBackend } from '../backend.ts';

const MINUTE_MS = 60_000;

/** ClientConnections is reported per minute. */
export const CONNECTIONS_PERIOD_SECONDS = 60;

/**
 * A policy change is taken as in force for new connections this long after PutFileSystemPolicy returned
 * (AWS documents no figure; IAM-style propagation is seconds): the first minute that counts starts after it.
 */
export const POLICY_PROPAGATION_SECONDS = 60;

/**
 * A minute without a datapoint counts as no connection only once this long has passed since it ended, so a
 * datapoint CloudWatch has not delivered yet is not taken for a quiet minute.
 */
export const SETTLE_SECONDS = 300;

/** How far back the latest count is looked for when nothing after the read-only moment is reported yet. */
const LOOKBACK_MS = 10 * MINUTE_MS;

const clients = new WeakMap<EfsBackend, CloudWatchClient>();

/** The CloudWatch client of the backend's region: the one its deps give, else one made on first use. */
export function cloudWatchOf(backend: EfsBackend): CloudWatchClient {
  let client = clients.get(backend);
  if (!client) {
    client = backend.cloudWatchFor?.(backend.config.region)
      ?? new CloudWatchClient({ region: backend.config.region, maxAttempts: backend.config.max_attempts, retryMode: 'standard' });
    clients.set(backend, client);
  }
  return client;
}

/**
 * Whether a client connected before `readOnlySince` may still be connected to `fileSystemId`: clear from the
 * first minute after the policy took effect that reported no connection (a datapoint of 0, or none once
 * settled). `scope` says whose connections the count holds: `shared` when other access points' clients
 * count too, so that only zero proves anything.
 */
export async function writersSince(
  backend: EfsBackend,
  fileSystemId: string,
  readOnlySince: Date,
  scope: 'instance' | 'shared',
): Promise<SwitchoverBlockers> {
  const now = backend.now().getTime();
  const from = ceilMinute(readOnlySince.getTime() + POLICY_PROPAGATION_SECONDS * 1000);
  const counts = await connectionsPerMinute(backend, fileSystemId, Math.min(from, floorMinute(now) - LOOKBACK_MS), now);
  const settled = now - SETTLE_SECONDS * 1000;
  for (let minute = from; minute + MINUTE_MS <= now; minute += MINUTE_MS) {
    const count = counts.get(minute);
    if (count === 0 || (count === undefined && minute + MINUTE_MS <= settled)) {
      return {
        clear: true,
        connections: 0,
        scope,
        clearSince: new Date(minute + MINUTE_MS).toISOString(),
        detail: `file system ${fileSystemId} reported no client connection in the minute from ${new Date(minute).toISOString()} (${count === 0 ? 'a datapoint of 0' : 'no datapoint'}), after it went read-only at ${readOnlySince.toISOString()}`,
      };
    }
  }
  const latest = [...counts.entries()].sort(([a], [b]) => b - a)[0];
  const connections = latest?.[1] ?? 0;
  const whose = scope === 'shared'
    ? `; the file system serves other shares' access points too, whose clients this count includes, so only none at all proves that this share's clients are gone`
    : '';
  const next = from + MINUTE_MS > now ? Math.ceil((from + MINUTE_MS - now) / 1000) : CONNECTIONS_PERIOD_SECONDS;
  return {
    clear: false,
    connections,
    scope,
    retryAfterSeconds: Math.max(next, CONNECTIONS_PERIOD_SECONDS),
    detail: (latest
      ? `file system ${fileSystemId} reported ${connections} client connection(s) in the minute from ${new Date(latest[0]).toISOString()}`
      : `CloudWatch has not yet reported a whole minute of file system ${fileSystemId} after the read-only policy took effect`)
      + ` (read-only since ${readOnlySince.toISOString()})${whose}`,
  };
}

/** Sum of ClientConnections per minute (start, in ms), for the minutes CloudWatch reports. */
async function connectionsPerMinute(backend: EfsBackend, fileSystemId: string, from: number, until: number): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  let next: string | undefined;
  do {
    const page = await cloudWatchOf(backend).send(new GetMetricDataCommand({
      MetricDataQueries: [{
        Id: 'connections',
        MetricStat: {
          Metric: { Namespace: 'AWS/EFS', MetricName: 'ClientConnections', Dimensions: [{ Name: 'FileSystemId', Value: fileSystemId }] },
          Period: CONNECTIONS_PERIOD_SECONDS,
          Stat: 'Sum',
        },
        ReturnData: true,
      }],
      StartTime: new Date(from),
      EndTime: new Date(until),
      ScanBy: 'TimestampAscending',
      ...(next ? { NextToken: next } : {}),
    }));
    for (const result of page.MetricDataResults ?? []) addCounts(counts, result);
    next = page.NextToken;
  } while (next);
  return counts;
}

function addCounts(counts: Map<number, number>, result: MetricDataResult): void {
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  timestamps.forEach((timestamp, index) => {
    const value = values[index];
    if (value !== undefined) counts.set(floorMinute(timestamp.getTime()), value);
  });
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}
