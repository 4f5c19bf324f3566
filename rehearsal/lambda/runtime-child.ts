/**
 * A Lambda execution environment for one function of cdk.out: imports the function's bundle as the
 * Node.js runtime does (its `handler` export), then runs the invocations the parent sends over IPC with
 * a Lambda context, answering the handler's result or its error as Lambda reports it (errorType,
 * errorMessage, trace). The environment (the template's variables, the role session's credentials,
 * AWS_ENDPOINT_URL) is the parent's to set.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

interface Invocation {
  readonly id: number;
  readonly event: unknown;
  readonly timeoutMs: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: runtime-child.ts <bundle index.mjs> <handler export>');
const exportName = process.argv[3] ?? 'handler';
const module = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
const handler = module[exportName];
if (typeof handler !== 'function') throw new Error(`${bundle} exports no function "${exportName}"`);

const functionName = process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'function';
const region = process.env['AWS_REGION'] ?? 'us-east-1';
const account = process.env['SMIG_REHEARSAL_ACCOUNT'] ?? '123456789012';

process.on('message', (message: Invocation) => {
  void invoke(message).then((reply) => process.send?.(reply));
});
process.send?.({ ready: true });

async function invoke({ id, event, timeoutMs }: Invocation): Promise<unknown> {
  const requestId = randomUUID();
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] ?? '256',
    awsRequestId: requestId,
    logGroupName: process.env['AWS_LAMBDA_LOG_GROUP_NAME'] ?? `/aws/lambda/${functionName}`,
    logStreamName: 'rehearsal',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  process.stdout.write(`START RequestId: ${requestId}\n`);
  try {
    const result = await (handler as Handler)(event, context);
    return { id, ok: true, result: result === undefined ? null : result };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    return { id, ok: false, error: { errorType: err.name || 'Error', errorMessage: err.message, trace: (err.stack ?? '').split('\n') } };
  } finally {
    process.stdout.write(`END RequestId: ${requestId}\n`);
  }
}
