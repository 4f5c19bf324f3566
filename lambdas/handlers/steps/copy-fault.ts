import { copyFaultStep } from '../../core/migrations/copy-fault.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { migrationRecords } from '../../composition/factories/dynamodb.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { stepFunctionsTaskTokens } from '../../composition/factories/stepfunctions.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createCopyFaultHandler = (getDeps: GetDeps) => createStepHandler(Step.COPY_FAULT, copyFaultStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use: the migration record, the event bus, answering its own task token.
 */
export const composition = awsFunctionComposition(Step.COPY_FAULT, {
  migrations: migrationRecords,
  events: eventBridgeEvents,
  workflow: stepFunctionsTaskTokens,
});
export const handler = createCopyFaultHandler(async () => (await composition()).migrationDeps);
