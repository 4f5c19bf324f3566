import { snapshotDestinationStep } from '../../core/migrations/steps/snapshot-destination.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createSnapshotDestinationHandler = (getDeps: GetDeps) => createStepHandler(Step.SNAPSHOT_DESTINATION, snapshotDestinationStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.SNAPSHOT_DESTINATION, {
  shares: shareStore,
  migrations: migrationRecords,
  // No part: the EFS driver takes no snapshots, so createSnapshot fails with a DriverError before any EFS call.
  drivers: efsDrivers({}),
});
export const handler = createSnapshotDestinationHandler(async () => (await composition()).migrationDeps);
