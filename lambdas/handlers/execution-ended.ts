import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { EXECUTION_ENDED_FUNCTION } from '../composition/function-permissions.ts';
import { awsFunctionComposition } from '../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../composition/factories/dynamodb.ts';
import { ecsCopyTaskRelease } from '../composition/factories/ecs.ts';
import { efsDrivers } from '../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../composition/factories/eventbridge.ts';
import { EndedStatus, cleanUpEndedExecution, type EndedExecutionOutcome } from '../core/migrations/execution-ended.ts';
import type { MigrationDeps } from '../core/migrations/migration-deps.ts';
import { efsAccessRules } from '../drivers/efs/parts/access-rules.ts';
import { efsInstances } from '../drivers/efs/parts/instances.ts';
import { efsReplication } from '../drivers/efs/parts/replication.ts';
import { createLogger } from './logger.ts';
import type { GetDeps } from './step-handler.ts';

/** What EventBridge delivers: a "Step Functions Execution Status Change" event (the fields read here). */
export interface ExecutionStatusChangeEvent {
  readonly 'detail-type': string;
  readonly detail: {
    readonly executionArn: string;
    readonly name: string;
    readonly status: string;
    /** The execution input as a JSON string; null when Step Functions left it out (too large). */
    readonly input?: string | null;
    readonly error?: string | null;
    readonly cause?: string | null;
  };
}

/** Thrown for an event this function is not for: a rule that matches more than it should. */
export class UnexpectedExecutionEventError extends Error {
  override readonly name = 'UnexpectedExecutionEventError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const ENDED: readonly string[] = Object.values(EndedStatus);

/**
 * The EventBridge target for executions of the migration state machine that were stopped, timed out or
 * failed (cdk/lib/migration-monitoring.ts): cleans up their migration (execution-ended.ts). An error is
 * thrown, so EventBridge's asynchronous invocation tries again; the cleanup is idempotent.
 */
export function createExecutionEndedHandler(getDeps: GetDeps): (event: ExecutionStatusChangeEvent, context: Context) => Promise<EndedExecutionOutcome> {
  const logger = createLogger('execution-ended');
  return middy<ExecutionStatusChangeEvent, EndedExecutionOutcome, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const { detail } = event;
      if (!ENDED.includes(detail.status)) throw new UnexpectedExecutionEventError(`Execution ${detail.name} has status ${detail.status}: not an ended execution to clean up after`);
      let input: unknown = null;
      try {
        input = typeof detail.input === 'string' ? JSON.parse(detail.input) : null;
      } catch (err) {
        throw new UnexpectedExecutionEventError(`Execution ${detail.name}: its input is not JSON`, { cause: err });
      }
      logger.appendKeys({ execution: detail.executionArn, status: detail.status });
      const outcome = await cleanUpEndedExecution(await getDeps(), {
        executionArn: detail.executionArn,
        name: detail.name,
        status: detail.status as EndedStatus,
        input,
        error: detail.error,
        cause: detail.cause,
      });
      logger.info('ended execution handled', { outcome });
      return outcome;
    });
}

/** On AWS: composed as the cleanup step is (it runs the same cleanup), once per process on first use. */
export const composition = awsFunctionComposition(EXECUTION_ENDED_FUNCTION, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ instances: efsInstances, accessRules: efsAccessRules, replication: efsReplication }),
  copyTaskDefinitions: ecsCopyTaskRelease,
  events: eventBridgeEvents,
});
export const handler = createExecutionEndedHandler(async (): Promise<MigrationDeps> => (await composition()).migrationDeps);
