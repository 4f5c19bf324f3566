import { driverCancelStep } from '../../core/migrations/steps/driver-cancel.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createDriverCancelHandler = (getDeps: GetDeps) => createStepHandler(Step.DRIVER_CANCEL, driverCancelStep, getDeps);
export const handler = createDriverCancelHandler(() => awsComposition().migrationDeps);
