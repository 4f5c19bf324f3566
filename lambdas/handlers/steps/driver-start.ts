import { driverStartStep } from '../../core/migrations/steps/driver-start.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords, shareTypeStore } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsReplication } from '../../drivers/efs/parts/replication.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverStartHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_START, driverStartStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.DRIVER_START, {
  shares: shareStore,
  migrations: migrationRecords,
  shareTypes: shareTypeStore,
  drivers: efsDrivers({ replication: efsReplication }),
  events: eventBridgeEvents,
});
export const handler = createDriverStartHandler(async () => (await composition()).migrationDeps);
