/**
 * Access rules as statements of the EFS file system policy.
 *
 * One Allow statement per rule grants the rule's IAM principal (an ARN, or a role name of the file
 * system's account) `elasticfilesystem:ClientMount`, plus
 * `elasticfilesystem:ClientWrite` for `rw`, on the file system, scoped by
 * `elasticfilesystem:AccessPointArn` to the instance's access point when the instance is one. Read-only
 * mode drops ClientWrite from the instance's statements and adds one Deny of ClientWrite to every
 * principal (also scoped to the access point), so that principals whose own IAM policies allow writing,
 * and anonymous mounts, cannot write either.
 *
 * The policy is shared (every access point of a file system, and statements the operator wrote): the
 * instance's statements are those whose Sid starts with its prefix (`Smig<32 hex digits of the instance
 * id>`); they are replaced as a whole and every other statement is kept as it was.
 *
 * What the policy governs: EFS evaluates it when a client connects. A client mounting with IAM
 * authorization (`-o tls,iam`, or an ECS volume with IAM enabled) is checked as its IAM principal; a
 * client mounting without it is anonymous and gets only what the policy grants to everyone (the Deny of
 * read-only mode included). With no policy at all EFS grants every client that reaches a mount target
 * full access, so network access (mount target security groups) stays the outer gate.
 */
import type { AccessLevel, AccessRule } from '../../core/model.ts';
import { idDigits } from './naming.ts';

export const EfsClientAction = {
  MOUNT: 'elasticfilesystem:ClientMount',
  WRITE: 'elasticfilesystem:ClientWrite',
  ROOT_ACCESS: 'elasticfilesystem:ClientRootAccess',
} as const;

export const ACCESS_POINT_ARN_KEY = 'elasticfilesystem:AccessPointArn';
export const POLICY_VERSION = '2012-10-17';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  readonly [key: string]: unknown;
}

export interface PolicyDocument {
  readonly Version: string;
  readonly Id?: string;
  readonly Statement: readonly PolicyStatement[];
}

/** What an instance's statements apply to. */
export interface PolicyTarget {
  readonly fileSystemArn: string;
  /** Present for an access-point instance: its statements are scoped to it. */
  readonly accessPointArn?: string;
  /** `statementPrefix(instance id)` */
  readonly sidPrefix: string;
}

/** IAM users and roles (with paths), account roots, and assumed-role sessions, in any partition. */
const IAM_PRINCIPAL_ARN = /^arn:aws(?:-[a-z]+)*:(?:iam::\d{12}:(?:root|user\/[\w+=,.@/-]{1,512}|role\/[\w+=,.@/-]{1,512})|sts::\d{12}:assumed-role\/[\w+=,.@-]{1,64}\/[\w+=,.@-]{2,64})$/;

export function isIamPrincipalArn(value: string): boolean {
  return IAM_PRINCIPAL_ARN.test(value) && !value.includes('//') && !value.endsWith('/');
}

/**
 * An IAM role's name (IAM allows letters, digits and `+=,.@_-`, up to 64). The manila CLI refuses `:` and
 * `/` in a `user` rule, so an operator using it names the clients' role, which is taken as the role of
 * that name in the file system's account.
 */
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The principal a rule grants: its ARN as given, or the role a bare name names in the file system's account. */
export function principalOf(accessTo: string, fileSystemArn: string): string {
  if (isIamPrincipalArn(accessTo)) return accessTo;
  const [, partition, , , account] = fileSystemArn.split(':');
  return `arn:${partition}:iam::${account}:role/${accessTo}`;
}

/** Why a rule cannot be a policy statement, or null if it can. */
export function ruleProblem(rule: AccessRule): string | null {
  if (rule.access_type !== 'user') {
    return `access type "${rule.access_type}" is not supported: EFS access rules are access type "user" with an IAM principal ARN`;
  }
  if (!isIamPrincipalArn(rule.access_to) && !IAM_ROLE_NAME.test(rule.access_to)) {
    return `"${rule.access_to}" is neither an IAM role name (of the file system's account) nor an IAM principal ARN (arn:aws:iam::<account>:role/<name>, :user/<name>, :root, or arn:aws:sts::<account>:assumed-role/<role>/<session>)`;
  }
  if (rule.access_level !== 'rw' && rule.access_level !== 'ro') return `access level "${String(rule.access_level)}" is not rw or ro`;
  return null;
}

/** A stored policy (DescribeFileSystemPolicy's `Policy`), with a single statement object read as a list. */
export function parsePolicy(text: string | undefined): PolicyDocument {
  if (text === undefined || text.trim() === '') return { Version: POLICY_VERSION, Statement: [] };
  const parsed = JSON.parse(text) as { Version?: string; Id?: string; Statement?: PolicyStatement | PolicyStatement[] };
  const statements = parsed.Statement === undefined ? [] : Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return { ...parsed, Version: parsed.Version ?? POLICY_VERSION, Statement: statements };
}

export function serializePolicy(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}

/** The statements an instance's rules become. `rules` must have passed `ruleProblem`. */
export function instanceStatements(target: PolicyTarget, rules: readonly AccessRule[], readOnly: boolean): PolicyStatement[] {
  const allows = rules.map((rule) =>
    ruleStatement(target, `${target.sidPrefix}Rule${idDigits(rule.id)}${levelSuffix(rule.access_level)}`, rule.access_to, rule.access_level, readOnly),
  );
  return readOnly ? [...allows, readOnlyStatement(target)] : allows;
}

/** `policy` with the instance's statements replaced by `statements` (appended after the others). */
export function withInstanceStatements(policy: PolicyDocument, sidPrefix: string, statements: readonly PolicyStatement[]): PolicyDocument {
  return { ...policy, Statement: [...othersOf(policy, sidPrefix), ...statements] };
}

/**
 * `policy` with the instance put into (or out of) read-only mode without knowing its rules: its Allow
 * statements lose (or regain, for rules that asked for `rw`) ClientWrite, and the Deny is added (or removed).
 */
export function withReadOnly(policy: PolicyDocument, target: PolicyTarget, readOnly: boolean): PolicyDocument {
  const own = ownStatements(policy, target.sidPrefix).filter((statement) => statement.Sid !== readOnlySid(target.sidPrefix));
  const allows = own.map((statement) => {
    const level = levelOfSid(statement.Sid ?? '');
    return level === undefined ? statement : { ...statement, Action: actionsFor(level, readOnly) };
  });
  return withInstanceStatements(policy, target.sidPrefix, readOnly ? [...allows, readOnlyStatement(target)] : allows);
}

export function ownStatements(policy: PolicyDocument, sidPrefix: string): PolicyStatement[] {
  return policy.Statement.filter((statement) => isOwn(statement, sidPrefix));
}

export function isReadOnly(policy: PolicyDocument, sidPrefix: string): boolean {
  return policy.Statement.some((statement) => statement.Sid === readOnlySid(sidPrefix));
}

/** Whether two policies say the same (key order aside), so an unchanged policy is not written again. */
export function samePolicy(a: PolicyDocument, b: PolicyDocument): boolean {
  return canonical(a) === canonical(b);
}

export function readOnlySid(sidPrefix: string): string {
  return `${sidPrefix}ReadOnly`;
}

function othersOf(policy: PolicyDocument, sidPrefix: string): PolicyStatement[] {
  return policy.Statement.filter((statement) => !isOwn(statement, sidPrefix));
}

function isOwn(statement: PolicyStatement, sidPrefix: string): boolean {
  return typeof statement.Sid === 'string' && statement.Sid.startsWith(sidPrefix);
}

function ruleStatement(target: PolicyTarget, sid: string, principal: string, level: AccessLevel, readOnly: boolean): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: principalOf(principal, target.fileSystemArn) },
    Action: actionsFor(level, readOnly),
    Resource: target.fileSystemArn,
    ...scope(target),
  };
}

function readOnlyStatement(target: PolicyTarget): PolicyStatement {
  return {
    Sid: readOnlySid(target.sidPrefix),
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: [EfsClientAction.WRITE],
    Resource: target.fileSystemArn,
    ...scope(target),
  };
}

function scope(target: PolicyTarget): { Condition?: PolicyStatement['Condition'] } {
  return target.accessPointArn === undefined ? {} : { Condition: { StringEquals: { [ACCESS_POINT_ARN_KEY]: target.accessPointArn } } };
}

function actionsFor(level: AccessLevel, readOnly: boolean): string[] {
  return level === 'rw' && !readOnly ? [EfsClientAction.MOUNT, EfsClientAction.WRITE] : [EfsClientAction.MOUNT];
}

/** The level a rule asked for, kept in its statement's Sid so read-only mode can be undone without the rules. */
function levelSuffix(level: AccessLevel): string {
  return level === 'rw' ? 'Rw' : 'Ro';
}

function levelOfSid(sid: string): AccessLevel | undefined {
  if (sid.endsWith('Rw')) return 'rw';
  if (sid.endsWith('Ro')) return 'ro';
  return undefined;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
