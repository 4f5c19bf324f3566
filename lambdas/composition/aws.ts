import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../adapters/eventbridge/eventbridge-publisher.ts';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { HashedTokenVerifier } from '../core/auth/hashed-token-verifier.ts';
import { createDocumentClient } from '../adapters/dynamodb/document-client.ts';
import { MigrationTable } from '../adapters/dynamodb/migration-table.ts';
import { createShareTable } from '../adapters/dynamodb/share-table.ts';
import { ShareTypeTable } from '../adapters/dynamodb/share-type-table.ts';
import { ScheduleTable } from '../adapters/dynamodb/schedule-table.ts';
import { EventBridgeScheduler } from '../adapters/scheduler/eventbridge-scheduler.ts';
import { SchedulerEnv } from '../adapters/scheduler/scheduler-env.ts';
import type { SchedulerPort } from '../core/schedules/ports.ts';
import { CatalogTableCollection } from '../adapters/dynamodb/catalog-collection.ts';
import { CATALOG_TABLE, MIGRATIONS_TABLE, SHARES_TABLE } from '../adapters/dynamodb/table-schema.ts';
import { EcsCopyTaskControl } from '../adapters/ecs/ecs-copy-task-control.ts';
import { EcsCopyTaskDefinitions } from '../adapters/ecs/ecs-copy-task-definitions.ts';
import { StepFunctionsWorkflow } from '../adapters/stepfunctions/step-functions-workflow.ts';
import { EfsDriverRegistry } from '../drivers/efs/index.ts';
import { allEfsParts } from '../drivers/efs/all-parts.ts';
import { checkDeployableBackends } from './aws-backends.ts';
import type { DriverRegistry } from '../drivers/driver.ts';
import { composeDomain, type Composition } from './domain.ts';

/**
 * The composition root of a Lambda process on AWS: adapters from the environment the CDK stack sets.
 * Built once per process, on first use, so a cold start pays for it once and tests can import
 * handlers without AWS configuration.
 */
let composition: Composition | undefined;

export function awsComposition(env: NodeJS.ProcessEnv = process.env): Composition {
  composition ??= build(env);
  return composition;
}

function build(env: NodeJS.ProcessEnv): Composition {
  const documents = createDocumentClient();
  const shareTypes = new ShareTypeTable(documents, required(env, CATALOG_TABLE.envVar));
  const ecs = new ECSClient({});
  return composeDomain({
    shares: createShareTable(documents, required(env, SHARES_TABLE.envVar)),
    migrations: new MigrationTable(documents, required(env, MIGRATIONS_TABLE.envVar)),
    shareTypes,
    shareNetworks: new CatalogTableCollection(documents, required(env, CATALOG_TABLE.envVar), 'share_network'),
    securityServices: new CatalogTableCollection(documents, required(env, CATALOG_TABLE.envVar), 'security_service'),
    drivers: driversFrom(env['SMIG_BACKENDS'], shareTypes, env['AWS_REGION']),
    workflow: new StepFunctionsWorkflow(new SFNClient({}), env['SMIG_STATE_MACHINE_ARN'] ?? ''),
    copyTasks: new EcsCopyTaskControl(ecs, env['SMIG_COPY_CLUSTER'] ?? ''),
    copyTaskDefinitions: new EcsCopyTaskDefinitions(ecs, required(env, 'SMIG_COPY_TASK_DEFINITION'), env['SMIG_COPY_CONTAINER'] ?? 'copy'),
    tokens: new HashedTokenVerifier(required(env, 'SMIG_ADMIN_TOKEN_SHA256')),
    events: new EventBridgePublisher(new EventBridgeClient({}), required(env, 'SMIG_EVENT_BUS_NAME')),
    schedules: new ScheduleTable(documents, required(env, CATALOG_TABLE.envVar)),
    scheduler: schedulerFrom(env),
  });
}

/**
 * EventBridge Scheduler, in the function the stack configures for it (the API). The step functions only
 * record firings in the table: they get a SchedulerPort that says so if anything asks it to schedule.
 */
function schedulerFrom(env: NodeJS.ProcessEnv): SchedulerPort {
  const groupName = env[SchedulerEnv.GROUP];
  if (!groupName) {
    const refuse = async (): Promise<never> => {
      throw new Error(`${SchedulerEnv.GROUP} is not set in this function: the CDK stack configures EventBridge Scheduler for the API function only`);
    };
    return { put: refuse, delete: refuse };
  }
  return new EventBridgeScheduler(new SchedulerClient({}), {
    groupName,
    roleArn: required(env, SchedulerEnv.ROLE_ARN),
    deadLetterQueueArn: required(env, SchedulerEnv.DLQ_ARN),
    stateMachineArn: required(env, SchedulerEnv.STATE_MACHINE_ARN),
  });
}

/**
 * SMIG_BACKENDS (set from the stack's `backends` context): `"kind": "efs"` backends, served by the EFS
 * driver. Any other entry (a local-folder backend, which needs folders no function mounts) fails the
 * start with UndeployableBackendError, as it fails synth. None configured is a valid, empty deployment.
 */
function driversFrom(json: string | undefined, shareTypes: ShareTypeTable, region: string | undefined): DriverRegistry {
  const document: unknown = JSON.parse(json ?? '{"backends":[]}');
  checkDeployableBackends(document, 'SMIG_BACKENDS');
  // Every EFS part for now; per-function compositions (only the parts a function calls) come later.
  return EfsDriverRegistry.fromDocument(document, { shareTypes, defaultRegion: region, parts: allEfsParts });
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set: the CDK stack sets it on every function`);
  return value;
}
