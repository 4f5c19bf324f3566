#!/usr/bin/env node
/**
 * Composition root of the copy task's container: the DynamoDB progress sink, process signals and
 * stdout logs, then the exit code. The same program runs as the ECS task and as the local runtime's
 * child process; only the environment differs.
 */
import { createDynamoCopyProgressSink } from '../../lambdas/adapters/dynamodb/copy-progress-sink.ts';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { dynamoClientConfigFromEnv } from '../../lambdas/adapters/dynamodb/unix-socket.ts';
import { CopyExitCode, CopyTaskEnv } from '../../lambdas/core/workflow.ts';
import { readOriginalModes } from '../../lambdas/drivers/local/read-only.ts';
import { runCopyContainer } from '../container.ts';

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
// The local driver's read-only mode strips write bits and records the originals (keyed as the engine
// keys paths); the copy gives the destination the originals.
process.exit(await runCopyContainer(env, { sink, loadSourceModes: readOriginalModes }));
