import {
  DeleteFileSystemPolicyCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  EFSClient,
  PolicyNotFound,
  PutFileSystemPolicyCommand,
  ThrottlingException,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import type { AccessRule } from '../../../lambdas/core/model.ts';
import { isIamPrincipalArn } from '../../../lambdas/drivers/efs/index.ts';
import {
  ACCESS_POINT_BACKEND,
  accessPoint,
  AP_ARN,
  BACKEND_FS,
  BACKEND_FS_ARN,
  efsError,
  FILE_SYSTEM_BACKEND,
  fileSystem,
  instance,
  makeDriver,
  PREFIX,
  ROLE_ARN,
  SHARE_ID,
  TOKEN,
} from './fixtures.ts';

const efs = mockClient(EFSClient);
const RW_RULE_ID = '11111111-2222-4333-8444-555555555555';
const RO_RULE_ID = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const READER_ARN = 'arn:aws:sts::123456789012:assumed-role/reporting/session-1';
const SCOPE = { StringEquals: { 'elasticfilesystem:AccessPointArn': AP_ARN } };
const MOUNT = 'elasticfilesystem:ClientMount';
const WRITE = 'elasticfilesystem:ClientWrite';

function rule(id: string, accessTo: string, level: 'rw' | 'ro', type: AccessRule['access_type'] = 'user'): AccessRule {
  return { id, access_type: type, access_to: accessTo, access_level: level, state: 'active', access_key: null, metadata: {}, created_at: '2030-01-01T00:00:00Z', updated_at: null };
}

const RULES = [rule(RW_RULE_ID, ROLE_ARN, 'rw'), rule(RO_RULE_ID, READER_ARN, 'ro')];
const RW_SID = `${PREFIX}Rule11111111222243338444555555555555Rw`;
const RO_SID = `${PREFIX}Rule66666666777748888999aaaaaaaaaaaaRo`;
const OPERATOR = { Sid: 'OperatorAdmins', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/admin' }, Action: [MOUNT, WRITE, 'elasticfilesystem:ClientRootAccess'] };
const OTHER_INSTANCE = {
  Sid: 'Smig00000000000040008000000000000099Rule00000000000040008000000000000001Rw',
  Effect: 'Allow',
  Principal: { AWS: ROLE_ARN },
  Action: [MOUNT, WRITE],
  Resource: BACKEND_FS_ARN,
  Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': 'arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-0ffffffffffffffff' } },
};

function policyWritten(): { Version: string; Statement: Record<string, unknown>[] } {
  return JSON.parse(efs.commandCalls(PutFileSystemPolicyCommand).at(-1)!.args[0].input.Policy!) as { Version: string; Statement: Record<string, unknown>[] };
}

describe('Class: EfsDriver', () => {
  beforeEach(() => {
    efs.reset();
  });

  describe('Method: applyAccessRules (access-point mode)', () => {
    beforeEach(() => {
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [accessPoint()] });
      efs.on(PutFileSystemPolicyCommand).resolves({});
    });

    it("writes one statement per rule scoped to the instance's access point, replacing its old ones and keeping every other statement", async () => {
      // Prepare
      const stale = { Sid: `${PREFIX}RuleddddRw`, Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/gone' }, Action: [MOUNT, WRITE] };
      efs.on(DescribeFileSystemPolicyCommand).resolves({
        FileSystemId: BACKEND_FS,
        Policy: JSON.stringify({ Version: '2012-10-17', Id: 'kept-id', Statement: [OPERATOR, stale, OTHER_INSTANCE] }),
      });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.applyAccessRules(instance(), RULES, { readOnly: false });

      // Assess
      expect(efs.commandCalls(DescribeFileSystemPolicyCommand)[0]!.args[0].input).toEqual({ FileSystemId: BACKEND_FS });
      expect(efs.commandCalls(DescribeAccessPointsCommand)[0]!.args[0].input).toEqual({ FileSystemId: BACKEND_FS, MaxResults: 100 });
      expect(efs.commandCalls(PutFileSystemPolicyCommand)[0]!.args[0].input.FileSystemId).toBe(BACKEND_FS);
      expect(policyWritten()).toEqual({
        Version: '2012-10-17',
        Id: 'kept-id',
        Statement: [
          OPERATOR,
          OTHER_INSTANCE,
          { Sid: RW_SID, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: [MOUNT, WRITE], Resource: BACKEND_FS_ARN, Condition: SCOPE },
          { Sid: RO_SID, Effect: 'Allow', Principal: { AWS: READER_ARN }, Action: [MOUNT], Resource: BACKEND_FS_ARN, Condition: SCOPE },
        ],
      });
    });

    it("read-only mode drops ClientWrite from the instance's statements and denies ClientWrite through its access point to everyone", async () => {
      // Prepare
      efs.on(DescribeFileSystemPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [OPERATOR] }) });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.applyAccessRules(instance(), RULES, { readOnly: true });

      // Assess
      expect(policyWritten().Statement).toEqual([
        OPERATOR,
        { Sid: RW_SID, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: [MOUNT], Resource: BACKEND_FS_ARN, Condition: SCOPE },
        { Sid: RO_SID, Effect: 'Allow', Principal: { AWS: READER_ARN }, Action: [MOUNT], Resource: BACKEND_FS_ARN, Condition: SCOPE },
        { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: [WRITE], Resource: BACKEND_FS_ARN, Condition: SCOPE },
      ]);
    });

    it('leaving read-only mode gives rw rules their ClientWrite back and removes the Deny', async () => {
      // Prepare
      const readOnly = [
        { Sid: RW_SID, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: [MOUNT], Resource: BACKEND_FS_ARN, Condition: SCOPE },
        { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: [WRITE], Resource: BACKEND_FS_ARN, Condition: SCOPE },
      ];
      efs.on(DescribeFileSystemPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [OPERATOR, ...readOnly] }) });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.applyAccessRules(instance(), [RULES[0]!], { readOnly: false });

      // Assess
      expect(policyWritten().Statement).toEqual([
        OPERATOR,
        { Sid: RW_SID, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: [MOUNT, WRITE], Resource: BACKEND_FS_ARN, Condition: SCOPE },
      ]);
    });

    it('creates the policy when the file system has none (EFS default policy in effect)', async () => {
      // Prepare
      efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.applyAccessRules(instance(), [RULES[1]!], { readOnly: false });

      // Assess
      expect(policyWritten()).toEqual({
        Version: '2012-10-17',
        Statement: [{ Sid: RO_SID, Effect: 'Allow', Principal: { AWS: READER_ARN }, Action: [MOUNT], Resource: BACKEND_FS_ARN, Condition: SCOPE }],
      });
    });

    it('takes a bare IAM role name (what the manila CLI accepts as a user) as that role of the file system\'s account', async () => {
      // Prepare: the manila CLI refuses ':' and '/' in a user access rule, so operators give the role's name.
      efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
      efs.on(PutFileSystemPolicyCommand).resolves({});
      const driver = makeDriver(ACCESS_POINT_BACKEND);
      const account = BACKEND_FS_ARN.split(':')[4];

      // Act
      await driver.applyAccessRules(instance(), [rule(RW_RULE_ID, 'project-clients', 'rw')], { readOnly: false });

      // Assess
      expect(policyWritten().Statement).toEqual([
        { Sid: RW_SID, Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:role/project-clients` }, Action: [MOUNT, WRITE], Resource: BACKEND_FS_ARN, Condition: SCOPE },
      ]);
    });

    it('writes nothing when the policy already says it (a retried step)', async () => {
      // Prepare
      const current = [
        { Condition: SCOPE, Resource: BACKEND_FS_ARN, Action: [MOUNT, WRITE], Principal: { AWS: ROLE_ARN }, Effect: 'Allow', Sid: RW_SID },
      ];
      efs.on(DescribeFileSystemPolicyCommand).resolves({ Policy: JSON.stringify({ Statement: current, Version: '2012-10-17' }) });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.applyAccessRules(instance(), [RULES[0]!], { readOnly: false });

      // Assess
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });

    it('deletes the policy when the last rule of the only instance goes', async () => {
      // Prepare
      efs.on(DescribeFileSystemPolicyCommand).resolves({
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: RW_SID, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: [MOUNT, WRITE] }] }),
      });
      efs.on(DeleteFileSystemPolicyCommand).resolves({});
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.applyAccessRules(instance(), [], { readOnly: false });

      // Assess
      expect(efs.commandCalls(DeleteFileSystemPolicyCommand)[0]!.args[0].input).toEqual({ FileSystemId: BACKEND_FS });
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });

    it.each([
      [rule(RW_RULE_ID, '10.0.0.0/24', 'rw', 'ip'), /rule 11111111-2222-4333-8444-555555555555 \(ip 10\.0\.0\.0\/24\): access type "ip" is not supported: EFS access rules are access type "user" with an IAM principal ARN/],
      [rule(RW_RULE_ID, 'CN=client', 'ro', 'cert'), /access type "cert" is not supported/],
      [rule(RW_RULE_ID, 'alice smith', 'rw'), /"alice smith" is neither an IAM role name \(of the file system.s account\) nor an IAM principal ARN/],
      [rule(RW_RULE_ID, 'arn:aws:s3:::bucket', 'rw'), /"arn:aws:s3:::bucket" is neither an IAM role name \(of the file system.s account\) nor an IAM principal ARN/],
      [rule(RW_RULE_ID, 'x'.repeat(65), 'rw'), /is neither an IAM role name/],
    ])('refuses %o with a DriverError and leaves the policy alone', async (bad, message) => {
      // Prepare
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      const failure = await driver.applyAccessRules(instance(), [RULES[0]!, bad], { readOnly: false }).catch((err: unknown) => err);

      // Assess
      expect(failure).toBeInstanceOf(DriverError);
      expect((failure as DriverError).shareId).toBe(SHARE_ID);
      expect((failure as Error).message).toMatch(message);
      expect(efs.commandCalls(DescribeFileSystemPolicyCommand)).toHaveLength(0);
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });

    it('surfaces a throttled PutFileSystemPolicy as a DriverError', async () => {
      // Prepare
      efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
      efs.on(PutFileSystemPolicyCommand).rejects(efsError(ThrottlingException));
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act & Assess
      await expect(driver.applyAccessRules(instance(), RULES, { readOnly: false })).rejects.toThrow(/applying access rules .* EFS still throttled the request/);
    });

    it('fails for an instance whose access point does not exist', async () => {
      // Prepare
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act & Assess
      await expect(driver.applyAccessRules(instance(), RULES, { readOnly: false })).rejects.toThrow(/does not exist on efs@shared/);
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });
  });

  describe('Method: applyAccessRules (file-system mode)', () => {
    it('writes unscoped statements on the instance file system, found by its creation token', async () => {
      // Prepare
      const own = 'fs-0dddddddddddddddd';
      const ownArn = `arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/${own}`;
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: own, CreationToken: TOKEN })] });
      efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
      efs.on(PutFileSystemPolicyCommand).resolves({});
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      await driver.applyAccessRules(instance({ host: 'efs@dedicated#default' }), RULES, { readOnly: true });

      // Assess
      expect(efs.commandCalls(DescribeFileSystemsCommand)[0]!.args[0].input).toEqual({ CreationToken: TOKEN });
      expect(efs.commandCalls(PutFileSystemPolicyCommand)[0]!.args[0].input.FileSystemId).toBe(own);
      expect(policyWritten().Statement).toEqual([
        { Sid: RW_SID, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: [MOUNT], Resource: ownArn },
        { Sid: RO_SID, Effect: 'Allow', Principal: { AWS: READER_ARN }, Action: [MOUNT], Resource: ownArn },
        { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: [WRITE], Resource: ownArn },
      ]);
    });
  });
});

describe('Function: isIamPrincipalArn', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/app', true],
    ['arn:aws:iam::123456789012:role/service-role/path/app', true],
    ['arn:aws:iam::123456789012:user/alice', true],
    ['arn:aws:iam::123456789012:root', true],
    ['arn:aws-cn:iam::123456789012:role/app', true],
    ['arn:aws-us-gov:iam::123456789012:role/app', true],
    ['arn:aws:sts::123456789012:assumed-role/app/i-0123', true],
    ['arn:aws:iam::12345678901:role/app', false],
    ['arn:aws:iam::123456789012:group/admins', false],
    ['arn:aws:iam::123456789012:role/', false],
    ['arn:aws:iam::123456789012:role//x', false],
    ['*', false],
    ['123456789012', false],
  ])('%s → %s', (arn, expected) => {
    // Act & Assess
    expect(isIamPrincipalArn(arn)).toBe(expected);
  });
});
