import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { MigrationDeps } from '../core/migrations/migration-deps.ts';
import { WorkflowError, type Step } from '../core/workflow.ts';
import { createLogger } from './logger.ts';
import { createObservability, observe, type Observability } from './observability.ts';
import { MetricName } from './telemetry.ts';

export type StepFunction<I, O> = (deps: MigrationDeps, input: I) => Promise<O>;
export type StepHandler<I = unknown, O = unknown> = (event: I, context: Context) => Promise<O>;
export type GetDeps = () => MigrationDeps | Promise<MigrationDeps>;

/**
 * A workflow step as a Lambda handler: the step's domain function with logging, tracing and metrics
 * around it. Errors are rethrown untouched, so Step Functions matches them by name in Retry and Catch.
 */
export function createStepHandler<I, O>(step: Step, fn: StepFunction<I, O>, getDeps: GetDeps): StepHandler<I, O> {
  const logger = createLogger(`step:${step}`);
  const observability = createObservability();
  return middy<I, O, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(observe(observability))
    .use(stepLog(logger))
    .use(stepMetrics(observability, step))
    .handler(async (event) => fn(await getDeps(), event));
}

/** Counts the step's outcome: StepSucceeded or StepFailed, by step. */
function stepMetrics(observability: Observability, step: Step): middy.MiddlewareObj {
  const stepMetricsAfter = (): void => observability.count(MetricName.STEP_SUCCEEDED, { step });
  const stepMetricsOnError = (): void => observability.count(MetricName.STEP_FAILED, { step });
  return { after: stepMetricsAfter, onError: stepMetricsOnError };
}

/** Logs the step's ids on entry and its typed error on failure. */
function stepLog(logger: Logger): middy.MiddlewareObj {
  const stepLogBefore = (request: middy.Request): void => {
    const event = (request.event ?? {}) as { migration_id?: unknown; share_id?: unknown };
    logger.appendKeys({ migration_id: event.migration_id, share_id: event.share_id });
    logger.info('step started');
  };
  const stepLogAfter = (): void => {
    logger.info('step finished');
  };
  const stepLogOnError = (request: middy.Request): void => {
    // A cancel is the operator's decision, not a fault: the workflow catches it and cleans up.
    if (request.error?.name === WorkflowError.CANCELLED) logger.info('step stopped: the migration was cancelled');
    else logger.error('step failed', { error: request.error });
  };
  return { before: stepLogBefore, after: stepLogAfter, onError: stepLogOnError };
}
