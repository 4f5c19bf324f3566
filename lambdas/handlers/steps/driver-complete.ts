import { driverCompleteStep } from '../../core/migrations/steps/driver-complete.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverCompleteHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_COMPLETE, driverCompleteStep, getDeps);
export const handler = createDriverCompleteHandler(() => awsComposition().migrationDeps);
