import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { PowertoolsEnv, SERVICE_NAME } from './telemetry.ts';

/** Powertools Metrics and Tracer of one function. */
export interface Observability {
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** Adds one to a Count metric, published when the invocation ends (nothing, with metrics off). */
  count(name: string, dimensions?: Readonly<Record<string, string>>): void;
}

/**
 * Metrics are on when POWERTOOLS_METRICS_NAMESPACE is set (the CDK stack sets it on every function);
 * without it (the local runtime, tests) nothing is counted or written. The Tracer switches itself off
 * outside Lambda, and on Lambda traces only when the function's active tracing is on.
 */
export function createObservability(env: NodeJS.ProcessEnv = process.env): Observability {
  const serviceName = env[PowertoolsEnv.SERVICE_NAME] || SERVICE_NAME;
  const namespace = env[PowertoolsEnv.METRICS_NAMESPACE];
  const metrics = new Metrics({ serviceName, ...(namespace ? { namespace } : {}) });
  const tracer = new Tracer({ serviceName });
  const enabled = Boolean(namespace);
  return {
    metrics,
    tracer,
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
  return [captureLambdaHandler(observability.tracer, { captureResponse: false }), publishMetrics];
}
