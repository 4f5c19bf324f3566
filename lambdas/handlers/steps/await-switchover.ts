import { awaitSwitchoverStep } from '../../core/migrations/steps/await-switchover.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { migrationRecords } from '../../composition/factories/dynamodb.ts';
import { stepFunctionsTaskTokens } from '../../composition/factories/stepfunctions.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createAwaitSwitchoverHandler = (getDeps: GetDeps) => createStepHandler(Step.AWAIT_SWITCHOVER, awaitSwitchoverStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use: the migration record and answering its own task token.
 */
export const composition = awsFunctionComposition(Step.AWAIT_SWITCHOVER, {
  migrations: migrationRecords,
  workflow: stepFunctionsTaskTokens,
});
export const handler = createAwaitSwitchoverHandler(async () => (await composition()).migrationDeps);
