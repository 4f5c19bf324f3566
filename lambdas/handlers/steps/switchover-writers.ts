import { switchoverWritersStep } from '../../core/migrations/steps/switchover-writers.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../../composition/factories/eventbridge.ts';
import { efsAccessRules } from '../../drivers/efs/parts/access-rules.ts';
import { efsSwitchover } from '../../drivers/efs/parts/switchover.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createSwitchoverWritersHandler = (getDeps: GetDeps) => createStepHandler(Step.SWITCHOVER_WRITERS, switchoverWritersStep, getDeps);

/**
 * On AWS: composed with only what its code path uses, once per process on first use: switchoverBlockers
 * (CloudWatch ClientConnections), applyAccessRules when it gives the source its writes back, and the
 * task_state change it publishes then.
 */
export const composition = awsFunctionComposition(Step.SWITCHOVER_WRITERS, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ switchover: efsSwitchover, accessRules: efsAccessRules }),
  events: eventBridgeEvents,
});
export const handler = createSwitchoverWritersHandler(async () => (await composition()).migrationDeps);
