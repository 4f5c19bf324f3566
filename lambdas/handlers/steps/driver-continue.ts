import { driverContinueStep } from '../../core/migrations/steps/driver-continue.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { efsReplication } from '../../drivers/efs/parts/replication.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverContinueHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_CONTINUE, driverContinueStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.DRIVER_CONTINUE, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ replication: efsReplication }),
});
export const handler = createDriverContinueHandler(async () => (await composition()).migrationDeps);
