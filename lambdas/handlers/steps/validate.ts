import { validateStep } from '../../core/migrations/steps/validate.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords, shareTypeStore, shareNetworkCollection, securityServiceCollection, scheduleStore } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsPools } from '../../drivers/efs/parts/pools.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createValidateHandler = (getDeps: GetDeps) => createStepHandler(Step.VALIDATE, validateStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.VALIDATE, {
  shares: shareStore,
  migrations: migrationRecords,
  shareTypes: shareTypeStore,
  shareNetworks: shareNetworkCollection,
  securityServices: securityServiceCollection,
  schedules: scheduleStore,
  drivers: efsDrivers({ pools: efsPools }),
  events: eventBridgeEvents,
});
export const handler = createValidateHandler(async () => (await composition()).migrationDeps);
