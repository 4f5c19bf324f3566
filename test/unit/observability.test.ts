import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '../../lambdas/handlers/observability.ts';
import { createStepHandler } from '../../lambdas/handlers/step-handler.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lambdas/handlers/telemetry.ts';
import { Step } from '../../lambdas/core/workflow.ts';

const context = { functionName: 'cutover', awsRequestId: 'r-1' } as Context;

/** The EMF documents Powertools Metrics wrote to stdout while `act` ran. */
async function emfWritten(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act().catch(() => undefined);
  } finally {
    write.mockRestore();
  }
  return lines.flatMap((line) => line.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));
}

describe('Function: createObservability', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('counts nothing without POWERTOOLS_METRICS_NAMESPACE (the local runtime, tests)', async () => {
    // Prepare
    const observability = createObservability({});

    // Act
    const documents = await emfWritten(async () => observability.count(MetricName.TOKEN_ACCEPTED, { step: 'x' }));

    // Assess
    expect(documents).toEqual([]);
    expect(observability.metrics.hasStoredMetrics()).toBe(false);
  });

  it('publishes a step handler\'s outcome by step in the namespace the stack sets', async () => {
    // Prepare: the environment the CDK stack gives every function.
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', METRICS_NAMESPACE);
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'share-migration');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const succeeding = createStepHandler(Step.CUTOVER, async () => ({ ok: true }), () => ({}) as never);
    const failing = createStepHandler(Step.CUTOVER, async () => { throw new Error('boom'); }, () => ({}) as never);

    // Act
    const [succeeded] = await emfWritten(() => succeeding({}, context));
    const [failed] = await emfWritten(() => failing({}, context));

    // Assess
    expect(succeeded).toMatchObject({ service: 'share-migration', step: 'cutover', [MetricName.STEP_SUCCEEDED]: 1 });
    expect((succeeded!['_aws'] as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
    expect(failed).toMatchObject({ step: 'cutover', [MetricName.STEP_FAILED]: 1 });
  });
});
