import { releaseShareStep } from '../../core/migrations/steps/release-share.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createReleaseShareHandler = (getDeps: GetDeps) => createStepHandler(Step.RELEASE_SHARE, releaseShareStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.RELEASE_SHARE, {
  shares: shareStore,
  migrations: migrationRecords,
  events: eventBridgeEvents,
});
export const handler = createReleaseShareHandler(async () => (await composition()).migrationDeps);
