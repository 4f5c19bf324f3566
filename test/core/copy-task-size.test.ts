import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambdas/core/errors.ts';
import { copyTaskSizeOf, copyTaskSizeOptions, fargateMemoryChoices } from '../../lambdas/core/migrations/copy-task-size.ts';
import { validateMigrationInput } from '../../lambdas/core/migrations/migration-request.ts';

const ids = { shareId: 's-1' };

describe('Function: copyTaskSizeOptions', () => {
  it('takes a Fargate size, memory defaulting to twice the CPU, and the operations in flight', () => {
    // Act / Assess
    expect(copyTaskSizeOptions({ copy_task_cpu: 4096, copy_task_memory: 16384, copy_concurrency: 32 }, ids)).toEqual({ copy_task_cpu: 4096, copy_task_memory: 16384, copy_concurrency: 32 });
    expect(copyTaskSizeOptions({ copy_task_cpu: 2048 }, ids)).toEqual({ copy_task_cpu: 2048, copy_task_memory: 4096 });
    expect(copyTaskSizeOptions({ copy_task_cpu: 256 }, ids)).toEqual({ copy_task_cpu: 256, copy_task_memory: 512 });
    expect(copyTaskSizeOptions({}, ids)).toEqual({});
  });

  it('refuses what Fargate would refuse, saying what it takes', () => {
    // Act / Assess
    expect(() => copyTaskSizeOptions({ copy_task_cpu: 3000 }, ids)).toThrow('Invalid copy_task_cpu 3000: Fargate takes 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units (1,024 a vCPU).');
    expect(() => copyTaskSizeOptions({ copy_task_cpu: 1024, copy_task_memory: 16384 }, ids)).toThrow('Invalid copy_task_memory 16384 for copy_task_cpu 1024: Fargate takes 2048 to 8192 MiB (in steps of 1024).');
    expect(() => copyTaskSizeOptions({ copy_task_cpu: 8192, copy_task_memory: 18000 }, ids)).toThrow(/16384 to 61440 MiB \(in steps of 4096\)/);
    expect(() => copyTaskSizeOptions({ copy_task_memory: 4096 }, ids)).toThrow('copy_task_memory needs copy_task_cpu: Fargate sizes a task by both.');
    expect(() => copyTaskSizeOptions({ copy_concurrency: 0 }, ids)).toThrow(InvalidRequestError);
    expect(() => copyTaskSizeOptions({ copy_concurrency: 1025 }, ids)).toThrow('Invalid copy_concurrency 1025: from 1 to 1024.');
    expect(() => copyTaskSizeOptions({ copy_task_cpu: '1024' }, ids)).toThrow('Invalid copy_task_cpu "1024": a whole number.');
  });

  it('knows Fargate\'s memory steps for each CPU size', () => {
    expect(fargateMemoryChoices(256)).toEqual([512, 1024, 2048]);
    expect(fargateMemoryChoices(512)).toEqual([1024, 2048, 3072, 4096]);
    expect(fargateMemoryChoices(16384)).toEqual(Array.from({ length: 12 }, (_, i) => 32768 + i * 8192));
    expect(fargateMemoryChoices(100)).toEqual([]);
  });
});

describe('Function: validateMigrationInput (copy task size)', () => {
  it('keeps the size in the migration\'s options, and leaves it out when not asked', () => {
    // Act
    const sized = validateMigrationInput({ share_id: 's-1', host: 'h@b#p', copy_task_cpu: 4096, copy_concurrency: 16 });
    const plain = validateMigrationInput({ share_id: 's-1', host: 'h@b#p' });

    // Assess
    expect(sized.options).toMatchObject({ copy_task_cpu: 4096, copy_task_memory: 8192, copy_concurrency: 16 });
    expect(copyTaskSizeOf(sized.options)).toEqual({ cpu: 4096, memory: 8192, concurrency: 16 });
    expect(Object.keys(plain.options)).not.toContain('copy_task_cpu');
    expect(copyTaskSizeOf(plain.options)).toBeUndefined();
  });
});
