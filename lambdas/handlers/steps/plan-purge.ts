import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsPurgeTaskRegistration } from '../../adapters/ecs/ecs-purge-task-registration.ts';
import { planPurgeStep } from '../../core/migrations/steps/plan-purge.ts';
import type { CopyTaskDefinitions } from '../../core/ports.ts';
import { Step } from '../../core/workflow.ts';
import { awsFunctionComposition, type AdapterFactory } from '../../composition/aws-function.ts';
import { shareStore, migrationRecords } from '../../composition/factories/dynamodb.ts';
import { efsDrivers } from '../../composition/factories/efs-drivers.ts';
import { FunctionEnv } from '../../composition/function-env.ts';
import { composedOnly } from '../../composition/not-composed.ts';
import { efsInstances } from '../../drivers/efs/parts/instances.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createPlanPurgeHandler = (getDeps: GetDeps) => createStepHandler(Step.PLAN_PURGE, planPurgeStep, getDeps);

/** Registering a file system's purge task definition; the copy task definitions' other members fail loudly. */
const ecsPurgeTaskRegistration: AdapterFactory<CopyTaskDefinitions> = (context) =>
  composedOnly<CopyTaskDefinitions>(context.functionName, 'copyTaskDefinitions', new EcsPurgeTaskRegistration(
    context.shared('ecs', () => new ECSClient({})), context.required(FunctionEnv.COPY_TASK_DEFINITION), context.required(FunctionEnv.COPY_CONTAINER),
  ));

/**
 * On AWS: composed with only what its code path uses, once per process on first use: the purge records
 * (a migration's, or a deleted share's), dataLeftBehind (the instances part), and the purge task's
 * definition (ECS Describe/RegisterTaskDefinition, tagged at creation, passing the copy task's roles).
 */
export const composition = awsFunctionComposition(Step.PLAN_PURGE, {
  shares: shareStore,
  migrations: migrationRecords,
  drivers: efsDrivers({ instances: efsInstances }),
  copyTaskDefinitions: ecsPurgeTaskRegistration,
});
export const handler = createPlanPurgeHandler(async () => (await composition()).migrationDeps);
