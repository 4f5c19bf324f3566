import { phase1DoneStep } from '../../core/migrations/steps/phase1-done.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createPhase1DoneHandler = (getDeps: GetDeps) => createStepHandler(Step.PHASE1_DONE, phase1DoneStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.PHASE1_DONE, {
  shares: shareStore,
  migrations: migrationRecords,
  events: eventBridgeEvents,
});
export const handler = createPhase1DoneHandler(async () => (await composition()).migrationDeps);
