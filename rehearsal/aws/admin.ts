/**
 * The rehearsal's own identity in the emulator: an IAM user that may do anything, used to deploy the
 * template, to inspect state (tags, task definitions, schedules) and to assume roles when the rehearsal
 * plays an AWS service (Lambda, Step Functions, ECS, EventBridge Scheduler). The code under test never
 * gets these credentials.
 */
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What an SDK v3 client needs to talk to the emulator. */
export interface AwsClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly maxAttempts?: number;
}

export const REHEARSAL_USER = 'rehearsal-plays-aws';

/** Creates the rehearsal's user while moto does not yet enforce IAM; returns its client config. */
export async function createRehearsalUser(endpoint: string, region: string, account: string): Promise<{ config: AwsClientConfig; arn: string }> {
  // Before enforcement moto takes any key; these are never valid afterwards.
  const bootstrap: AwsClientConfig = { endpoint, region, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } };
  const iam = new IAMClient(bootstrap);
  await iam.send(new CreateUserCommand({ UserName: REHEARSAL_USER }));
  await iam.send(new PutUserPolicyCommand({
    UserName: REHEARSAL_USER,
    PolicyName: 'everything',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
  }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: REHEARSAL_USER }))).AccessKey!;
  return {
    config: { endpoint, region, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 },
    arn: `arn:aws:iam::${account}:user/${REHEARSAL_USER}`,
  };
}

/** Credentials of a role's session, as a service gets them for the code it runs. */
export async function assumeRole(admin: AwsClientConfig, roleArn: string, sessionName: string): Promise<AwsCredentials> {
  const sts = new STSClient(admin);
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName.replace(/[^\w+=,.@-]/g, '-').slice(0, 64), DurationSeconds: 43_200 }));
  const credentials = out.Credentials!;
  return { accessKeyId: credentials.AccessKeyId!, secretAccessKey: credentials.SecretAccessKey!, sessionToken: credentials.SessionToken! };
}
