import { InvalidRequestError } from '../errors.ts';
import type { MigrationOptions } from '../model.ts';
import type { CopyTaskSize } from '../ports.ts';

/**
 * Fargate's task sizes (Amazon ECS developer guide, "Task CPU and memory"): for each CPU value (units,
 * 1,024 a vCPU), the memory it takes, in MiB: from, to, in steps of.
 */
const FARGATE_SIZES: ReadonlyMap<number, { readonly from: number; readonly to: number; readonly step: number; readonly also?: readonly number[] }> = new Map([
  [256, { from: 512, to: 512, step: 512, also: [1024, 2048] }],
  [512, { from: 1024, to: 4096, step: 1024 }],
  [1024, { from: 2048, to: 8192, step: 1024 }],
  [2048, { from: 4096, to: 16384, step: 1024 }],
  [4096, { from: 8192, to: 30720, step: 1024 }],
  [8192, { from: 16384, to: 61440, step: 4096 }],
  [16384, { from: 32768, to: 122880, step: 8192 }],
]);

/** The most operations in flight the engine takes (smig-copy --concurrency). */
export const MAX_COPY_CONCURRENCY = 1024;

/** The memory Fargate takes with `cpu`, in MiB. */
export function fargateMemoryChoices(cpu: number): number[] {
  const size = FARGATE_SIZES.get(cpu);
  if (size === undefined) return [];
  const steps = Array.from({ length: Math.floor((size.to - size.from) / size.step) + 1 }, (_, i) => size.from + i * size.step);
  return [...new Set([...steps, ...(size.also ?? [])])].sort((a, b) => a - b);
}

/**
 * migration_start's `copy_task_cpu` (CPU units), `copy_task_memory` (MiB; needs copy_task_cpu, and defaults to
 * twice it, the smallest Fargate takes for 1 vCPU and up) and `copy_concurrency` (operations in flight), checked
 * against what Fargate runs, so a size ECS would refuse is a 400 at the start and not a failed copy task later.
 */
export function copyTaskSizeOptions(raw: Record<string, unknown>, ids: { shareId: string }): Pick<MigrationOptions, 'copy_task_cpu' | 'copy_task_memory' | 'copy_concurrency'> {
  const whole = (key: string): number | undefined => {
    const value = raw[key];
    if (value === undefined || value === null) return undefined;
    if (!Number.isInteger(value) || (value as number) < 1) throw new InvalidRequestError(`Invalid ${key} ${JSON.stringify(value)}: a whole number.`, ids);
    return value as number;
  };
  const cpu = whole('copy_task_cpu');
  const memory = whole('copy_task_memory');
  const concurrency = whole('copy_concurrency');
  if (cpu !== undefined && !FARGATE_SIZES.has(cpu)) {
    throw new InvalidRequestError(`Invalid copy_task_cpu ${cpu}: Fargate takes ${[...FARGATE_SIZES.keys()].join(', ')} CPU units (1,024 a vCPU).`, ids);
  }
  if (memory !== undefined && cpu === undefined) throw new InvalidRequestError('copy_task_memory needs copy_task_cpu: Fargate sizes a task by both.', ids);
  if (cpu !== undefined && memory !== undefined && !fargateMemoryChoices(cpu).includes(memory)) {
    const choices = fargateMemoryChoices(cpu);
    throw new InvalidRequestError(`Invalid copy_task_memory ${memory} for copy_task_cpu ${cpu}: Fargate takes ${choices[0]} to ${choices.at(-1)} MiB (${describeSteps(cpu)}).`, ids);
  }
  if (concurrency !== undefined && concurrency > MAX_COPY_CONCURRENCY) {
    throw new InvalidRequestError(`Invalid copy_concurrency ${concurrency}: from 1 to ${MAX_COPY_CONCURRENCY}.`, ids);
  }
  return {
    ...(cpu !== undefined ? { copy_task_cpu: cpu, copy_task_memory: memory ?? Math.max(fargateMemoryChoices(cpu)[0]!, cpu * 2) } : {}),
    ...(concurrency !== undefined ? { copy_concurrency: concurrency } : {}),
  };
}

function describeSteps(cpu: number): string {
  const size = FARGATE_SIZES.get(cpu)!;
  return size.also ? [size.from, ...size.also].join(', ') : `in steps of ${size.step}`;
}

/** The copy task size a migration asked for, if any (CopyTaskDefinitions.forMigration). */
export function copyTaskSizeOf(options: MigrationOptions): CopyTaskSize | undefined {
  if (options.copy_task_cpu === undefined && options.copy_concurrency === undefined) return undefined;
  return {
    ...(options.copy_task_cpu !== undefined ? { cpu: options.copy_task_cpu, memory: options.copy_task_memory } : {}),
    ...(options.copy_concurrency !== undefined ? { concurrency: options.copy_concurrency } : {}),
  };
}
