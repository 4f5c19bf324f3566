/**
 * Who is connected to each EFS file system, and when: every ECS task's volume mount while the task runs,
 * and the clients the scenarios connect (an application writing to its share). From it the rehearsal
 * answers what EFS publishes to CloudWatch, `AWS/EFS` `ClientConnections` per file system, one datapoint
 * per whole minute (moto can serve no EFS metric, and answers CloudWatch's JSON protocol in XML).
 */
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import type { AwsClientConfig } from '../aws/admin.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import { errorResponse, jsonResponse, type WireResponse } from '../wire/aws-errors.ts';

const MINUTE_MS = 60_000;

interface Connection {
  readonly fileSystemId: string;
  readonly who: string;
  readonly from: number;
  until?: number;
}

export interface ClientConnection {
  readonly fileSystemId: string;
  /** Ends the connection (an unmount). */
  close(): void;
}

export class ClientConnections {
  private readonly connections: Connection[] = [];
  private readonly created = new Map<string, number>();

  /** Starts publishing a file system's metric from now (EFS publishes from its creation). */
  track(fileSystemId: string): void {
    if (!this.created.has(fileSystemId)) this.created.set(fileSystemId, Date.now());
  }

  open(fileSystemId: string, who: string): ClientConnection {
    this.track(fileSystemId);
    const connection: Connection = { fileSystemId, who, from: Date.now() };
    this.connections.push(connection);
    return { fileSystemId, close: () => (connection.until ??= Date.now()) };
  }

  /** Connections open now, by file system. */
  openNow(fileSystemId: string): string[] {
    return this.connections.filter((connection) => connection.fileSystemId === fileSystemId && connection.until === undefined).map((connection) => connection.who);
  }

  /**
   * The Sum of ClientConnections for each whole minute in [from, until) that has ended by now: the
   * connections open at any moment of the minute (a client that disconnected during it still counted).
   */
  perMinute(fileSystemId: string, from: number, until: number): [number, number][] {
    const since = this.created.get(fileSystemId);
    if (since === undefined) return [];
    const points: [number, number][] = [];
    const now = Date.now();
    const first = Math.ceil(Math.max(from, Math.floor(since / MINUTE_MS) * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
    for (let minute = first; minute < until && minute + MINUTE_MS <= now; minute += MINUTE_MS) {
      const end = minute + MINUTE_MS;
      const count = this.connections.filter((connection) => connection.fileSystemId === fileSystemId && connection.from < end && (connection.until ?? Infinity) >= minute).length;
      points.push([minute, count]);
    }
    return points;
  }

  /** Serves cloudwatch:GetMetricData for AWS/EFS ClientConnections after the IAM gate authorized it. */
  serveMetrics(gate: IamGate, admin: AwsClientConfig): void {
    const efs = new EFSClient(admin);
    gate.intercept('cloudwatch:GetMetricData', async ({ parsed }) => {
      // A file system no one connected to yet publishes (zeros) from its creation.
      for (const query of (parsed.input['MetricDataQueries'] as { MetricStat?: { Metric?: { Dimensions?: { Name: string; Value: string }[] } } }[] | undefined) ?? []) {
        const id = query.MetricStat?.Metric?.Dimensions?.find((dimension) => dimension.Name === 'FileSystemId')?.Value;
        if (id && !this.created.has(id)) {
          const described = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: id })).catch(() => undefined);
          const creation = described?.FileSystems?.[0]?.CreationTime;
          if (creation) this.created.set(id, creation.getTime());
        }
      }
      return this.getMetricData(parsed.input);
    });
  }

  private getMetricData(input: Readonly<Record<string, unknown>>): WireResponse {
    const start = toMillis(input['StartTime']);
    const end = toMillis(input['EndTime']);
    if (start === undefined || end === undefined) return errorResponse('json', 400, 'InvalidParameterValue', 'StartTime and EndTime are required');
    const queries = (input['MetricDataQueries'] as { Id: string; MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value: string }[] }; Period?: number; Stat?: string } }[] | undefined) ?? [];
    const results = queries.map((query) => {
      const metric = query.MetricStat?.Metric;
      const fileSystemId = metric?.Dimensions?.find((dimension) => dimension.Name === 'FileSystemId')?.Value;
      const served = metric?.Namespace === 'AWS/EFS' && metric.MetricName === 'ClientConnections' && query.MetricStat?.Period === 60 && fileSystemId !== undefined;
      const points = served ? this.perMinute(fileSystemId, start, end) : [];
      return { Id: query.Id, Label: metric?.MetricName ?? query.Id, Timestamps: points.map(([at]) => at / 1000), Values: points.map(([, count]) => count), StatusCode: 'Complete' };
    });
    return jsonResponse({ MetricDataResults: results, Messages: [] });
  }
}

function toMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}
