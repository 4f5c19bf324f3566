import { driverStartStep } from '../../core/migrations/steps/driver-start.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverStartHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_START, driverStartStep, getDeps);
export const handler = createDriverStartHandler(() => awsComposition().migrationDeps);
