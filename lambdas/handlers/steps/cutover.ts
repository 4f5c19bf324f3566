import { cutoverStep } from '../../core/migrations/steps/cutover.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { ecsCopyTaskRelease } from '../../composition/factories/ecs.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsInstances } from '../../drivers/efs/parts/instances.ts';
import { efsAccessRules } from '../../drivers/efs/parts/access-rules.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createCutoverHandler = (getDeps: GetDeps) => createStepHandler(Step.CUTOVER, cutoverStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.CUTOVER, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ instances: efsInstances, accessRules: efsAccessRules }),
  copyTaskDefinitions: ecsCopyTaskRelease,
  events: eventBridgeEvents,
});
export const handler = createCutoverHandler(async () => (await composition()).migrationDeps);
