import { ECSClient } from '@aws-sdk/client-ecs';
import type { CopyTaskControl, CopyTaskDefinitions } from '../../core/ports.ts';
import { EcsCopyTaskControl } from '../../adapters/ecs/ecs-copy-task-control.ts';
import { EcsCopyTaskRegistration } from '../../adapters/ecs/ecs-copy-task-registration.ts';
import { EcsCopyTaskRelease } from '../../adapters/ecs/ecs-copy-task-release.ts';
import type { AdapterFactory, AwsFunctionContext } from '../aws-function.ts';
import { FunctionEnv } from '../function-env.ts';
import { composedOnly } from '../not-composed.ts';

function ecs(context: AwsFunctionContext): ECSClient {
  return context.shared('ecs', () => new ECSClient({}));
}

/** Stopping a copy task on the copy cluster (the API's migration_cancel). */
export const ecsCopyTaskControl: AdapterFactory<CopyTaskControl> = (context) =>
  new EcsCopyTaskControl(ecs(context), context.required(FunctionEnv.COPY_CLUSTER));

/** Registering a migration's copy task definition (prepare destination); release fails loudly. */
export const ecsCopyTaskRegistration: AdapterFactory<CopyTaskDefinitions> = (context) =>
  composedOnly<CopyTaskDefinitions>(context.functionName, 'copyTaskDefinitions', new EcsCopyTaskRegistration(
    ecs(context), context.required(FunctionEnv.COPY_TASK_DEFINITION), context.required(FunctionEnv.COPY_CONTAINER),
  ));

/** Deregistering a migration's copy task definition when it ends (cutover, cleanup); forMigration fails loudly. */
export const ecsCopyTaskRelease: AdapterFactory<CopyTaskDefinitions> = (context) =>
  composedOnly<CopyTaskDefinitions>(context.functionName, 'copyTaskDefinitions', new EcsCopyTaskRelease(ecs(context), context.required(FunctionEnv.COPY_TASK_DEFINITION)));
