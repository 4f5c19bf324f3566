/**
 * EFS replication as the rehearsal plays it: moto 5.2 serves none of CreateReplicationConfiguration,
 * DescribeReplicationConfigurations, DeleteReplicationConfiguration or UpdateFileSystemProtection, and
 * leaves FileSystemProtection out of DescribeFileSystems. So the rehearsal serves them (after the IAM
 * gate), with EFS's rules as its API reference states them:
 * - a destination file system must have replication overwrite protection DISABLED; while it is a
 *   destination its protection reads REPLICATING and it cannot be changed; deleting the replication
 *   gives it back (ENABLED) and makes it writable;
 * - one replication per source; ReplicationNotFound for a file system without one;
 * - the destination mirrors the source (rsync -aHAX --delete of the file systems' folders), first when
 *   the replication is created (status ENABLING, then ENABLED), then again every `syncIntervalMs` (EFS
 *   syncs about every 15 minutes); LastReplicatedTimestamp is the start of the last completed sync, so
 *   every write the source acknowledged before it is on the destination.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import type { AwsClientConfig } from '../aws/admin.ts';
import type { RehearsalEnvironment } from '../aws/rehearsal-stack.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import { errorResponse, jsonResponse, type WireResponse } from '../wire/aws-errors.ts';
import type { EfsFolders } from './efs-folders.ts';

interface Replication {
  readonly source: string;
  readonly destination: string;
  readonly destinationRegion: string;
  readonly created: Date;
  status: 'ENABLING' | 'ENABLED' | 'ERROR' | 'DELETING';
  lastReplicated?: Date;
  statusMessage?: string;
  timer?: NodeJS.Timeout;
  syncing?: Promise<void>;
}

export interface EfsReplicationOptions {
  readonly gate: IamGate;
  readonly admin: AwsClientConfig;
  readonly folders: EfsFolders;
  readonly environment: RehearsalEnvironment;
  /** @default 1500 */
  readonly syncIntervalMs?: number;
}

export class EfsReplication {
  private readonly options: EfsReplicationOptions;
  private readonly replications = new Map<string, Replication>();
  /** ReplicationOverwriteProtection by file system; absent means EFS's default, ENABLED. */
  private readonly protection = new Map<string, 'ENABLED' | 'DISABLED'>();
  private readonly efs: EFSClient;

  constructor(options: EfsReplicationOptions) {
    this.options = options;
    this.efs = new EFSClient(options.admin);
    const { gate } = options;
    gate.intercept('elasticfilesystem:CreateReplicationConfiguration', async ({ parsed }) => this.create(parsed.input));
    gate.intercept('elasticfilesystem:DescribeReplicationConfigurations', async ({ parsed }) => this.describe(String(parsed.input['FileSystemId'] ?? '')));
    gate.intercept('elasticfilesystem:DeleteReplicationConfiguration', async ({ parsed }) => this.delete(String(parsed.input['SourceFileSystemId'] ?? '')));
    gate.intercept('elasticfilesystem:UpdateFileSystemProtection', async ({ parsed }) => this.updateProtection(String(parsed.input['FileSystemId'] ?? ''), String(parsed.input['ReplicationOverwriteProtection'] ?? '')));
    gate.transformResponse('elasticfilesystem:DescribeFileSystems', (response) => this.withProtection(response));
  }

  stop(): void {
    for (const replication of this.replications.values()) clearTimeout(replication.timer);
  }

  private protectionOf(fileSystemId: string): 'ENABLED' | 'DISABLED' | 'REPLICATING' {
    if ([...this.replications.values()].some((replication) => replication.destination === fileSystemId)) return 'REPLICATING';
    return this.protection.get(fileSystemId) ?? 'ENABLED';
  }

  private async create(input: Readonly<Record<string, unknown>>): Promise<WireResponse> {
    const source = String(input['SourceFileSystemId'] ?? '');
    const [destination] = (input['Destinations'] as { FileSystemId?: string; Region?: string }[] | undefined) ?? [];
    if (!(await this.exists(source))) return errorResponse('rest-json', 404, 'FileSystemNotFound', `File system '${source}' does not exist.`);
    if (this.replications.has(source)) return errorResponse('rest-json', 409, 'ReplicationAlreadyExists', `File system '${source}' already has a replication configuration.`);
    if (!destination?.FileSystemId) return errorResponse('rest-json', 400, 'ValidationException', 'The rehearsal replicates only to an existing destination file system (Destinations[0].FileSystemId).');
    if (!(await this.exists(destination.FileSystemId))) return errorResponse('rest-json', 404, 'FileSystemNotFound', `File system '${destination.FileSystemId}' does not exist.`);
    if (this.protectionOf(destination.FileSystemId) !== 'DISABLED') {
      return errorResponse('rest-json', 400, 'ValidationException', `Destination file system '${destination.FileSystemId}' must have replication overwrite protection disabled.`);
    }
    const replication: Replication = { source, destination: destination.FileSystemId, destinationRegion: destination.Region ?? this.options.environment.region, created: new Date(), status: 'ENABLING' };
    this.replications.set(source, replication);
    this.schedule(replication, 0);
    return jsonResponse(this.view(replication));
  }

  private async describe(fileSystemId: string): Promise<WireResponse> {
    if (fileSystemId && !(await this.exists(fileSystemId))) return errorResponse('rest-json', 404, 'FileSystemNotFound', `File system '${fileSystemId}' does not exist.`);
    const found = [...this.replications.values()].filter((replication) => !fileSystemId || replication.source === fileSystemId || replication.destination === fileSystemId);
    if (fileSystemId && found.length === 0) return errorResponse('rest-json', 404, 'ReplicationNotFound', `No replication configuration found for file system '${fileSystemId}'.`);
    return jsonResponse({ Replications: found.map((replication) => this.view(replication)) });
  }

  private async delete(source: string): Promise<WireResponse> {
    const replication = this.replications.get(source);
    if (!replication) return errorResponse('rest-json', 404, 'ReplicationNotFound', `No replication configuration found for file system '${source}'.`);
    clearTimeout(replication.timer);
    replication.status = 'DELETING';
    await replication.syncing;
    this.replications.delete(source);
    // The destination is writable again, with its protection back on.
    this.protection.set(replication.destination, 'ENABLED');
    return { status: 204, headers: {}, body: Buffer.alloc(0) };
  }

  private async updateProtection(fileSystemId: string, value: string): Promise<WireResponse> {
    if (!(await this.exists(fileSystemId))) return errorResponse('rest-json', 404, 'FileSystemNotFound', `File system '${fileSystemId}' does not exist.`);
    if (this.protectionOf(fileSystemId) === 'REPLICATING') return errorResponse('rest-json', 409, 'ReplicationAlreadyExists', `File system '${fileSystemId}' is a replication destination; its protection cannot be changed.`);
    if (value !== 'ENABLED' && value !== 'DISABLED') return errorResponse('rest-json', 400, 'BadRequest', `ReplicationOverwriteProtection must be ENABLED or DISABLED, not ${value}`);
    this.protection.set(fileSystemId, value);
    return jsonResponse({ ReplicationOverwriteProtection: value });
  }

  /** DescribeFileSystems as moto answers it, with each file system's FileSystemProtection. */
  private withProtection(response: WireResponse): WireResponse {
    const body = JSON.parse(response.body.toString('utf8')) as { FileSystems?: Record<string, unknown>[] };
    for (const fileSystem of body.FileSystems ?? []) {
      fileSystem['FileSystemProtection'] = { ReplicationOverwriteProtection: this.protectionOf(String(fileSystem['FileSystemId'])) };
    }
    return { ...response, body: Buffer.from(JSON.stringify(body)) };
  }

  private schedule(replication: Replication, delayMs: number): void {
    replication.timer = setTimeout(() => {
      replication.syncing = this.sync(replication).finally(() => {
        replication.syncing = undefined;
        if (this.replications.get(replication.source) === replication && replication.status !== 'DELETING') this.schedule(replication, this.options.syncIntervalMs ?? 1500);
      });
    }, delayMs);
  }

  private async sync(replication: Replication): Promise<void> {
    const started = new Date();
    const from = this.options.folders.fileSystemFolder(replication.source);
    const to = this.options.folders.fileSystemFolder(replication.destination);
    await mkdir(from, { recursive: true });
    await mkdir(to, { recursive: true });
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('rsync', ['-aHAX', '--delete', '--numeric-ids', `${from}/`, `${to}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', () => resolve(-1));
      child.once('close', (exit) => {
        if (exit !== 0) replication.statusMessage = `sync failed: ${stderr.trim() || `rsync exit ${exit}`}`;
        resolve(exit);
      });
    });
    if (code === 0) {
      replication.lastReplicated = started;
      replication.status = 'ENABLED';
      replication.statusMessage = undefined;
    } else {
      replication.status = 'ERROR';
    }
  }

  private view(replication: Replication): Record<string, unknown> {
    const { partition, region, account } = this.options.environment;
    const arn = `arn:${partition}:elasticfilesystem:${region}:${account}:file-system/${replication.source}`;
    return {
      SourceFileSystemId: replication.source,
      SourceFileSystemRegion: region,
      SourceFileSystemArn: arn,
      OriginalSourceFileSystemArn: arn,
      CreationTime: replication.created.getTime() / 1000,
      Destinations: [{
        Status: replication.status,
        FileSystemId: replication.destination,
        Region: replication.destinationRegion,
        ...(replication.lastReplicated ? { LastReplicatedTimestamp: replication.lastReplicated.getTime() / 1000 } : {}),
        ...(replication.statusMessage ? { StatusMessage: replication.statusMessage } : {}),
      }],
    };
  }

  private async exists(fileSystemId: string): Promise<boolean> {
    return this.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })).then((out) => (out.FileSystems ?? []).length > 0, () => false);
  }
}
