import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** A Secrets Manager secret's complete ARN (with the 6-character suffix a partial ARN lacks). */
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/**
 * The stack's CDK context values, read and checked the same way everywhere: a wrong value fails synth with
 * the key and what to give (ShareMigrationStack's ContextKey lists them).
 */
export class StackContext {
  private readonly scope: Construct;

  constructor(scope: Construct) {
    this.scope = scope;
  }

  string(key: string): string | undefined {
    const value: unknown = this.scope.node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`Context ${key} must be a string`);
    return value;
  }

  /** `true` or `false`, as a boolean (cdk.json, cdk.context.json) or a string (-c key=false). */
  boolean(key: string, defaultValue: boolean): boolean {
    const value: unknown = this.scope.node.tryGetContext(key);
    if (value === undefined || value === '') return defaultValue;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new Error(`Context ${key} must be true or false (got ${JSON.stringify(value)}): -c ${key}=false`);
  }

  /** A list given as a JSON array (cdk.json, cdk.context.json) or a comma-separated string (-c key=a,b). */
  list(key: string): string[] {
    const value: unknown = this.scope.node.tryGetContext(key);
    if (value === undefined || value === '') return [];
    const list = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) throw new Error(`Context ${key} must be a list of strings, or a comma-separated string`);
    return list.map((item: string) => item.trim()).filter((item) => item !== '');
  }

  /** The existing secret the context names by its complete ARN (construct `id`), or undefined. */
  secret(key: string, id: string): secretsmanager.ISecret | undefined {
    const arn = this.string(key);
    if (arn === undefined) return undefined;
    if (!COMPLETE_SECRET_ARN.test(arn)) {
      throw new Error(`Context ${key} must be a secret's complete ARN (ending in its 6-character suffix), as aws secretsmanager describe-secret prints it`);
    }
    return secretsmanager.Secret.fromSecretCompleteArn(this.scope, id, arn);
  }
}
