import { driverContinueStep } from '../../core/migrations/steps/driver-continue.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverContinueHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_CONTINUE, driverContinueStep, getDeps);
export const handler = createDriverContinueHandler(() => awsComposition().migrationDeps);
