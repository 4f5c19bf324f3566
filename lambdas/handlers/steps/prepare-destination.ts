import { prepareDestinationStep } from '../../core/migrations/steps/prepare-destination.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords, shareTypeStore } from '../../composition/factories/dynamodb.ts';
import { ecsCopyTaskRegistration } from '../../composition/factories/ecs.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsInstances } from '../../drivers/efs/parts/instances.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createPrepareDestinationHandler = (getDeps: GetDeps) => createStepHandler(Step.PREPARE_DESTINATION, prepareDestinationStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.PREPARE_DESTINATION, {
  shares: shareStore,
  migrations: migrationRecords,
  shareTypes: shareTypeStore,
  drivers: efsDrivers({ instances: efsInstances }),
  copyTaskDefinitions: ecsCopyTaskRegistration,
  events: eventBridgeEvents,
});
export const handler = createPrepareDestinationHandler(async () => (await composition()).migrationDeps);
