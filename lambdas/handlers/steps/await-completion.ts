import { awaitCompletionStep } from '../../core/migrations/steps/await-completion.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { migrationRecords } from '../../composition/factories/dynamodb.ts';
import { stepFunctionsTaskTokens } from '../../composition/factories/stepfunctions.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createAwaitCompletionHandler = (getDeps: GetDeps) => createStepHandler(Step.AWAIT_COMPLETION, awaitCompletionStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.AWAIT_COMPLETION, {
  migrations: migrationRecords,
  workflow: stepFunctionsTaskTokens,
});
export const handler = createAwaitCompletionHandler(async () => (await composition()).migrationDeps);
