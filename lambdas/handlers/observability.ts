import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj } from '@middy/core';
import { PowertoolsEnv, SERVICE_NAME } from './telemetry.ts';

/**
 * Whether this process traces: only a Lambda function does (X-Ray active tracing, set by the stack), and
 * not when POWERTOOLS_TRACE_ENABLED is "false". Elsewhere (the local runtime, tests) the Tracer is not
 * even loaded: loading it loads the X-Ray SDK, whose context tracking (cls-hooked) hooks every promise
 * the process makes, for as long as it runs; it was a fifth of the embedded default's CPU per request
 * (bench/api-lists.ts --profile), for traces nobody receives.
 */
export function tracingWanted(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env['AWS_LAMBDA_FUNCTION_NAME']) && env['POWERTOOLS_TRACE_ENABLED']?.toLowerCase() !== 'false';
}

const tracing = tracingWanted(process.env)
  ? { Tracer: (await import('@aws-lambda-powertools/tracer')).Tracer, captureLambdaHandler: (await import('@aws-lambda-powertools/tracer/middleware')).captureLambdaHandler }
  : undefined;

/** Powertools Metrics and Tracer of one function. */
export interface Observability {
  readonly metrics: Metrics;
  /** The function's tracer; none outside Lambda. */
  readonly tracer?: Tracer;
  /** Adds one to a Count metric, published when the invocation ends (nothing, with metrics off). */
  count(name: string, dimensions?: Readonly<Record<string, string>>): void;
}

/**
 * Metrics are on when POWERTOOLS_METRICS_NAMESPACE is set (the CDK stack sets it on every function);
 * without it (the local runtime, tests) nothing is counted or written. A Tracer only on Lambda
 * (tracingWanted), where it traces when the function's active tracing is on.
 */
export function createObservability(env: NodeJS.ProcessEnv = process.env): Observability {
  const serviceName = env[PowertoolsEnv.SERVICE_NAME] || SERVICE_NAME;
  const namespace = env[PowertoolsEnv.METRICS_NAMESPACE];
  const metrics = new Metrics({ serviceName, ...(namespace ? { namespace } : {}) });
  const tracer = tracing ? new tracing.Tracer({ serviceName }) : undefined;
  const enabled = Boolean(namespace);
  return {
    metrics,
    ...(tracer ? { tracer } : {}),
    count(name, dimensions = {}) {
      if (!enabled) return;
      if (Object.keys(dimensions).length === 0) {
        metrics.addMetric(name, MetricUnit.Count, 1);
        return;
      }
      // One EMF document per dimension set, so a dimension never leaks onto the invocation's other metrics.
      const single = metrics.singleMetric();
      for (const [key, value] of Object.entries(dimensions)) single.addDimension(key, value);
      single.addMetric(name, MetricUnit.Count, 1);
    },
  };
}

/**
 * Tracing and metrics around a handler: the invocation is a traced segment (its response is not put in
 * the trace: step states and authorizer policies are not trace data), and the metrics it counted are
 * published when it returns or throws.
 */
export function observe(observability: Observability): MiddlewareObj[] {
  const publish = (): void => {
    if (observability.metrics.hasStoredMetrics()) observability.metrics.publishStoredMetrics();
  };
  const publishMetrics: MiddlewareObj = { after: publish, onError: publish };
  const traced = tracing && observability.tracer ? [tracing.captureLambdaHandler(observability.tracer, { captureResponse: false })] : [];
  return [...traced, publishMetrics];
}
