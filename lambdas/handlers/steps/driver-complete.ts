import { driverCompleteStep } from '../../core/migrations/steps/driver-complete.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsReplication } from '../../drivers/efs/parts/replication.ts';
import { efsInstances } from '../../drivers/efs/parts/instances.ts';
import { efsAccessRules } from '../../drivers/efs/parts/access-rules.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverCompleteHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_COMPLETE, driverCompleteStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.DRIVER_COMPLETE, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ instances: efsInstances, accessRules: efsAccessRules, replication: efsReplication }),
  events: eventBridgeEvents,
});
export const handler = createDriverCompleteHandler(async () => (await composition()).migrationDeps);
