import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmBackendParameters } from '../../adapters/ssm/backend-parameters.ts';
import { EfsDriverRegistry, type EfsDriverParts } from '../../drivers/efs/index.ts';
import type { DriversFactory } from '../aws-function.ts';
import { checkDeployableBackends } from '../aws-backends.ts';
import { FunctionEnv } from '../function-env.ts';

/**
 * The EFS drivers of the deployment's backends, read once per cold start from SSM Parameter Store (one
 * parameter per backend under SMIG_BACKENDS_PARAMETER_PATH), composed with only `parts`: a method whose
 * part is missing throws EfsPartMissingError. A backend that is not `"kind": "efs"` fails the start with
 * UndeployableBackendError, as it fails synth; none configured is a valid, empty deployment.
 */
export function efsDrivers(parts: EfsDriverParts): DriversFactory {
  return async (context, shareTypes) => {
    const path = context.required(FunctionEnv.BACKENDS_PARAMETER_PATH);
    const document = await new SsmBackendParameters(new SSMClient({}), path).read();
    const source = `SSM parameters under ${path}`;
    checkDeployableBackends(document, source);
    return EfsDriverRegistry.fromDocument(document, { shareTypes, defaultRegion: context.env['AWS_REGION'], parts }, { source });
  };
}
