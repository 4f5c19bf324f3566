import { createApiHandler } from '../api/handler.ts';
import { API_FUNCTION } from '../composition/function-permissions.ts';
import { awsFunctionComposition } from '../composition/aws-function.ts';
import {
  migrationStore, partitionStore, quotaCollection, scheduleStore, securityServiceCollection, shareNetworkCollection, shareStoreWithLists, shareTypeStore,
} from '../composition/factories/dynamodb.ts';
import { ecsCopyTaskControl } from '../composition/factories/ecs.ts';
import { efsDrivers } from '../composition/factories/efs-drivers.ts';
import { eventBridgeEvents } from '../composition/factories/eventbridge.ts';
import { eventBridgeScheduler } from '../composition/factories/scheduler.ts';
import { stepFunctionsWorkflow } from '../composition/factories/stepfunctions.ts';
import { adminTokenVerifier } from '../composition/factories/tokens.ts';
import { efsAccessRules } from '../drivers/efs/parts/access-rules.ts';
import { efsInstances } from '../drivers/efs/parts/instances.ts';
import { efsPools } from '../drivers/efs/parts/pools.ts';

/**
 * The API's composition: every store, the drivers with the parts Manila's share, access and pool calls
 * use (the driver-assisted migration calls are the steps'), executions and task tokens, stopping a copy
 * task, schedules, events. No copy task definitions: the steps register and deregister them.
 */
export const composition = awsFunctionComposition(API_FUNCTION, {
  shares: shareStoreWithLists,
  migrations: migrationStore,
  partitions: partitionStore,
  shareTypes: shareTypeStore,
  shareNetworks: shareNetworkCollection,
  quotas: quotaCollection,
  securityServices: securityServiceCollection,
  schedules: scheduleStore,
  drivers: efsDrivers({ pools: efsPools, instances: efsInstances, accessRules: efsAccessRules }),
  workflow: stepFunctionsWorkflow,
  copyTasks: ecsCopyTaskControl,
  tokens: adminTokenVerifier,
  events: eventBridgeEvents,
  scheduler: eventBridgeScheduler,
});

/** API Gateway (REST, Lambda proxy) → the Manila v2 API. */
export const handler = createApiHandler(async () => (await composition()).services);
