import { sourceReadOnlyStep } from '../../core/migrations/steps/source-read-only.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsAccessRules } from '../../drivers/efs/parts/access-rules.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createSourceReadOnlyHandler = (getDeps: GetDeps) => createStepHandler(Step.SOURCE_READ_ONLY, sourceReadOnlyStep, getDeps);

/**
 * On AWS: composed with only what its code path uses (lambdas/composition/function-permissions.ts says
 * why), once per process on first use.
 */
export const composition = awsFunctionComposition(Step.SOURCE_READ_ONLY, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ accessRules: efsAccessRules }),
  events: eventBridgeEvents,
});
export const handler = createSourceReadOnlyHandler(async () => (await composition()).migrationDeps);
