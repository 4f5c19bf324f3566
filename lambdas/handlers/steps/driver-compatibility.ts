import { driverCompatibilityStep } from '../../core/migrations/steps/driver-compatibility.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsPools } from '../../drivers/efs/parts/pools.ts';
import { efsReplication } from '../../drivers/efs/parts/replication.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverCompatibilityHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_COMPATIBILITY, driverCompatibilityStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.DRIVER_COMPATIBILITY, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ pools: efsPools, replication: efsReplication }),
  events: eventBridgeEvents,
});
export const handler = createDriverCompatibilityHandler(async () => (await composition()).migrationDeps);
