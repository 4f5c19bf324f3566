import { driverCancelStep } from '../../core/migrations/steps/driver-cancel.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { efsPools } from '../../drivers/efs/parts/pools.ts';
import { efsReplication } from '../../drivers/efs/parts/replication.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverCancelHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_CANCEL, driverCancelStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.DRIVER_CANCEL, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ pools: efsPools, replication: efsReplication }),
});
export const handler = createDriverCancelHandler(async () => (await composition()).migrationDeps);
