#!/usr/bin/env node
/**
 * Composition root of the copy task's container: the DynamoDB progress sink and pass record store, process signals and
 * stdout logs, then the exit code. The same program runs as the ECS task and as the local runtime's
 * child process; only the environment differs. A partitioned copy (issue 15) runs the same program for
 * its plan and seal steps (SMIG_PARTITION_STEP) and for each partition (SMIG_PARTITION_INDEX), which
 * reports into its own item of the partitions table.
 */
import { createDynamoCopyProgressSink, resolveCopyTaskId } from '../../lambdas/adapters/dynamodb/copy-progress-sink.ts';
import { DynamoPartitionStore } from '../../lambdas/adapters/dynamodb/partition-table.ts';
import { DynamoPassRecordStore } from '../../lambdas/adapters/dynamodb/pass-record-table.ts';
import { startPartitionSink } from '../../lambdas/core/partitions/partition-sink.ts';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { dynamoClientConfigFromEnv } from '../../lambdas/adapters/dynamodb/unix-socket.ts';
import { CopyExitCode, CopyTaskEnv } from '../../lambdas/core/workflow.ts';
import { readOriginalModes } from '../../lambdas/drivers/local/read-only.ts';
import { runCopyContainer } from '../container.ts';
import { passNamedIn } from '../runtime/job.ts';
import { partitionCopyEnv, runPartitionStep } from '../runtime/partition-steps.ts';

const env = process.env;
const tableName = env[CopyTaskEnv.MIGRATIONS_TABLE]?.trim();
if (!tableName) {
  const line = { level: 'ERROR', timestamp: new Date().toISOString(), service: 'smig-copy', migration_id: env[CopyTaskEnv.MIGRATION_ID] ?? null, message: `invalid copy job: ${CopyTaskEnv.MIGRATIONS_TABLE} is required` };
  process.stderr.write(`${JSON.stringify(line)}\n`);
  process.exit(CopyExitCode.USAGE);
}

// On AWS the SDK's standard configuration; under the local runtime, the state store's Unix socket.
const client = createDocumentClient(dynamoClientConfigFromEnv(env));
const sink = createDynamoCopyProgressSink({ migrationId: env[CopyTaskEnv.MIGRATION_ID] ?? '', tableName, client });
const partitionsTable = env[CopyTaskEnv.PARTITIONS_TABLE]?.trim();
const partitioned = env[CopyTaskEnv.PARTITION_STEP] !== undefined || env[CopyTaskEnv.PARTITION_INDEX] !== undefined;
if (partitioned && !partitionsTable) {
  await sink.failed(passNamedIn(env), `invalid copy job: ${CopyTaskEnv.PARTITIONS_TABLE} is required for a partitioned copy`).catch(() => undefined);
  process.exit(CopyExitCode.USAGE);
}
const partitions = partitionsTable ? new DynamoPartitionStore(client, partitionsTable) : undefined;
// The local driver's read-only mode strips write bits and records the originals (keyed as the engine
// keys paths); the copy gives the destination the originals.
const loadSourceModes = readOriginalModes;

if (partitions && env[CopyTaskEnv.PARTITION_STEP] !== undefined) {
  process.exit(await runPartitionStep(env[CopyTaskEnv.PARTITION_STEP]!, env, { store: partitions, sink, loadSourceModes }));
}
if (partitions && env[CopyTaskEnv.PARTITION_INDEX] !== undefined) {
  const pass = passNamedIn(env);
  const partition = await partitionCopyEnv(env, partitions).catch((error: unknown) => error as Error);
  if (partition instanceof Error) {
    // A bad index or no plan yet: said as an invalid job is (usage), on the migration record too.
    const line = { level: 'ERROR', timestamp: new Date().toISOString(), service: 'smig-copy', migration_id: env[CopyTaskEnv.MIGRATION_ID] ?? null, message: partition.message };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    await sink.failed(pass, partition.message).catch(() => undefined);
    process.exit(CopyExitCode.USAGE);
  }
  if ('beyondPlan' in partition) {
    const line = { level: 'INFO', timestamp: new Date().toISOString(), service: 'smig-copy', migration_id: env[CopyTaskEnv.MIGRATION_ID] ?? null, message: `partition ${partition.index}: nothing to copy (the plan has ${partition.partitions} partitions)` };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    process.exit(CopyExitCode.OK);
  }
  const partitionSink = await startPartitionSink({
    store: partitions, migration: sink, migrationId: env[CopyTaskEnv.MIGRATION_ID] ?? '', index: partition.index, pass, taskId: await resolveCopyTaskId(env),
  });
  const passRecords = new DynamoPassRecordStore({ client, tableName: partitionsTable!, migrationId: env[CopyTaskEnv.MIGRATION_ID] ?? '', partition: partition.index });
  process.exit(await runCopyContainer(partition.env, { sink: partitionSink, loadSourceModes, passRecords }));
}
// The pass record lives beside the migration's progress, where the next task finds it (a container keeps no state).
const passRecords = partitionsTable ? new DynamoPassRecordStore({ client, tableName: partitionsTable, migrationId: env[CopyTaskEnv.MIGRATION_ID] ?? '' }) : undefined;
process.exit(await runCopyContainer(env, { sink, loadSourceModes, ...(passRecords ? { passRecords } : {}) }));
