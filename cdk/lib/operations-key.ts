import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface OperationsKeyProps {
  /**
   * What the key is for, in the KMS console.
   * @default 'share-migration: operational logs and alarm notifications'
   */
  readonly description?: string;
}

/**
 * The customer managed KMS key of the operational data: the state machine's execution log (inputs and
 * outputs, task tokens included), the API access log, and the alarm topic. A customer managed key, not
 * the AWS managed ones, because CloudWatch alarms can only publish to an SNS topic whose key policy lets
 * them, and the AWS managed `aws/sns` key's policy cannot be changed. Rotated yearly.
 */
export class OperationsKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: OperationsKeyProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: props.description ?? 'share-migration: operational logs and alarm notifications',
      enableKeyRotation: true,
    });
    // CloudWatch Logs encrypts and decrypts the log groups of this account and region with it
    // (the key policy AWS documents for encrypted log groups). In a key policy "*" means this key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
        },
      }),
    );
    // CloudWatch alarms of this account publish to the topic encrypted with it.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }

  /** A log group encrypted with this key. */
  logGroup(scope: Construct, id: string, retention: logs.RetentionDays): logs.LogGroup {
    return new logs.LogGroup(scope, id, { retention, encryptionKey: this.key });
  }
}
