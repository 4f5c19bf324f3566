import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createObservability, tracingWanted } from '../../lambdas/handlers/observability.ts';
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

describe('Function: tracingWanted', () => {
  it.each([
    [{ AWS_LAMBDA_FUNCTION_NAME: 'api' }, true],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'api', POWERTOOLS_TRACE_ENABLED: 'false' }, false],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'api', POWERTOOLS_TRACE_ENABLED: 'FALSE' }, false],
    [{ AWS_LAMBDA_FUNCTION_NAME: 'api', POWERTOOLS_TRACE_ENABLED: 'true' }, true],
    [{}, false],
  ])('traces in %j: %s', (env, wanted) => {
    expect(tracingWanted(env)).toBe(wanted);
  });

  it('leaves the X-Ray SDK unloaded outside Lambda, so no promise of the local runtime is tracked', async () => {
    // Prepare: a fresh process that loads what the local runtime loads, the API and a step handler.
    const repo = path.resolve(import.meta.dirname, '../..');
    const script = [
      "await import('./lambdas/api/handler.ts');",
      "await import('./lambdas/handlers/step-handler.ts');",
      "const { createObservability } = await import('./lambdas/handlers/observability.ts');",
      'const o = createObservability({});',
      // cls-hooked, which the X-Ray SDK loads, registers its namespaces here.
      'console.log(JSON.stringify({ namespaces: Object.keys(process.namespaces ?? {}), tracer: o.tracer !== undefined }));',
    ].join('\n');
    const env = { ...process.env };
    delete env['AWS_LAMBDA_FUNCTION_NAME'];

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, env });

    // Assess
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ namespaces: [], tracer: false });
  }, 60_000);
});
