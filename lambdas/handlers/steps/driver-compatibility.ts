import { driverCompatibilityStep } from '../../core/migrations/steps/driver-compatibility.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverCompatibilityHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_COMPATIBILITY, driverCompatibilityStep, getDeps);
export const handler = createDriverCompatibilityHandler(() => awsComposition().migrationDeps);
