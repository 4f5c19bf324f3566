/**
 * Every AWS call the rehearsal saw, with who made it and what IAM decided: the evidence the rehearsal
 * passes or fails on, and what its report summarizes.
 */
import type { AuthorizationRequest, Decision } from './evaluator.ts';

/** Who runs code in the rehearsal, in the words of the stack. */
export interface Caller {
  /**
   * `function` (a Lambda), `state-machine`, `copy-task` (an ECS task), `scheduler`, `api-gateway`, or
   * `service`: an AWS service principal assuming a role (the role's trust policy decides).
   */
  readonly kind: 'function' | 'state-machine' | 'copy-task' | 'scheduler' | 'api-gateway' | 'service';
  /** The function's logical id, the task definition family...: what a person reading the report recognises. */
  readonly name: string;
  readonly roleLogicalId: string;
  readonly roleArn: string;
  /** The session ARN AWS would name in an AccessDenied. */
  readonly sessionArn: string;
}

export interface AuthorizationRecord extends AuthorizationRequest {
  readonly decision: Decision;
  readonly problem?: string;
}

export interface CallRecord {
  readonly at: string;
  readonly caller: Caller;
  /** `elasticfilesystem:DescribeFileSystems`; for calls AWS makes on a caller's behalf, what it made. */
  readonly operation: string;
  readonly authorizations: readonly AuthorizationRecord[];
  readonly allowed: boolean;
  /** False when the rehearsal has no model of the operation's resources (authorized on "*"). */
  readonly modelled: boolean;
  /** The HTTP status the emulator (or the rehearsal, for what it serves itself) answered; 0 if not sent. */
  status: number;
  /** What answered: moto, or the part of AWS the rehearsal plays. */
  readonly servedBy: string;
  /** The emulator's error code, when it answered an error. */
  error?: string;
  /**
   * False for an authorization whose denial is an answer, not a failure: EFS grants a mount without
   * ClientWrite read-only (the source during the final copy is meant to be).
   */
  readonly required: boolean;
}

export class CallLog {
  private readonly records: CallRecord[] = [];
  private readonly listeners = new Set<(record: CallRecord) => void>();

  add(record: CallRecord): void {
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
  }

  all(): readonly CallRecord[] {
    return this.records;
  }

  /** Calls that failed for want of a permission. */
  denied(): CallRecord[] {
    return this.records.filter(isDenial);
  }

  /** Calls from one point on (a scenario's): `mark()` then `since(mark)`. */
  mark(): number {
    return this.records.length;
  }

  since(mark: number): readonly CallRecord[] {
    return this.records.slice(mark);
  }

  onRecord(listener: (record: CallRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function isDenial(record: CallRecord): boolean {
  return !record.allowed && record.required;
}

/** One line that says who was denied what, as the report and failures print it. */
export function describeDenial(record: CallRecord): string {
  const denied = record.authorizations.filter((authorization) => authorization.decision !== 'Allowed');
  const what = denied.map((authorization) => `${authorization.action} on ${authorization.resource}${authorization.problem ? ` (${authorization.problem})` : ''}`).join(', ');
  return `${record.caller.kind} ${record.caller.name} (role ${record.caller.roleLogicalId}) was denied ${what} [${record.operation}]`;
}
