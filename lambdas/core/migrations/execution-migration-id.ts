import { createHash } from 'node:crypto';
import type { ValidateStepInput } from '../workflow.ts';

/** Execution names that serve as migration ids as they are. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The migration an execution works on: the one its input names (the API locked it first, or a restart
 * resumes it), else the one named after the execution (a console or EventBridge Scheduler start). The
 * same input always gives the same id: a retried first state finds its own lock, and cleanup after a
 * failed first state finds what it locked. A name Step Functions allows but an id should not carry
 * (`.`, `@`, `+`...) stands for its hash.
 */
export function executionMigrationId(input: ValidateStepInput): string {
  const request = input.request;
  const requested = typeof request === 'object' && request !== null ? (request as { migration_id?: unknown }).migration_id : undefined;
  if (typeof requested === 'string' && requested !== '') return requested;
  const name = typeof input.execution_name === 'string' ? input.execution_name : '';
  if (EXECUTION_NAME.test(name)) return name;
  return `execution-${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}
