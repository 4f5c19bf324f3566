import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, PowertoolsEnv, SERVICE_NAME } from '../../lambdas/handlers/telemetry.ts';
import { repoPath } from './paths.ts';

/** What every function of the stack gets for Powertools (lambdas/handlers/observability.ts). */
export const POWERTOOLS_ENVIRONMENT: Readonly<Record<string, string>> = {
  [PowertoolsEnv.SERVICE_NAME]: SERVICE_NAME,
  [PowertoolsEnv.METRICS_NAMESPACE]: METRICS_NAMESPACE,
};

/**
 * How every function is bundled: esbuild to ESM for Node.js 22, with source maps, and with the AWS SDK
 * inside the bundle (no external module), so a function runs the SDK it was tested with rather than the
 * Lambda runtime's, and its bundle holds only the SDK commands its composition imports (which is what
 * test/cdk/function-permissions.test.ts derives its permissions from, bundling the same way).
 */
export const SERVICE_FUNCTION_BUNDLING = {
  format: nodejs.OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  sourceMap: true,
  externalModules: [],
  // Bundled CommonJS dependencies may still call require(); give ESM output one.
  banner: "import { createRequire as __smigCreateRequire } from 'node:module'; const require = __smigCreateRequire(import.meta.url);",
} as const satisfies nodejs.BundlingOptions;

export interface ServiceFunctionProps {
  /** The handler file, relative to the repository root; it must export `handler`. */
  readonly entry: string;
  /** What the function is, for the console. */
  readonly description: string;
  /**
   * How long one invocation may run.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Environment variables, next to Powertools' and NODE_OPTIONS.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.TWO_YEARS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A handler of lambdas/handlers as a Node.js 22 function on arm64, bundled by esbuild to ESM with
 * source maps and its AWS SDK (SERVICE_FUNCTION_BUNDLING), with X-Ray active tracing and Powertools'
 * service name and metrics namespace. It runs as its own role, which may write to its own log group and
 * nothing else until granted more: not the AWS managed AWSLambdaBasicExecutionRole, which allows
 * creating and writing any log group.
 */
export class ServiceFunction extends nodejs.NodejsFunction {
  /** The function's execution role. */
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const executionRole = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: execution role`,
    });
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention ?? logs.RetentionDays.TWO_YEARS });
    super(scope, id, {
      entry: repoPath(props.entry),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? 256,
      description: props.description,
      role: executionRole,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      depsLockFilePath: repoPath('package-lock.json'),
      projectRoot: repoPath(),
      environment: {
        ...props.environment,
        ...POWERTOOLS_ENVIRONMENT,
        NODE_OPTIONS: '--enable-source-maps',
      },
      // Mutable copies of the `as const` lists, as BundlingOptions types them.
      bundling: { ...SERVICE_FUNCTION_BUNDLING, mainFields: [...SERVICE_FUNCTION_BUNDLING.mainFields], externalModules: [...SERVICE_FUNCTION_BUNDLING.externalModules] },
    });
    this.executionRole = executionRole;
    // CreateLogStream and PutLogEvents on this log group only.
    logGroup.grantWrite(executionRole);
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords, which Lambda adds to the execution role, ' +
        'support no resource-level permissions (the X-Ray service authorization reference lists no resource types for them).',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The handlers are built for and tested on Node.js 22 (the project pins it); moving to a newer runtime is a deliberate upgrade, not a default.',
    });
  }
}
