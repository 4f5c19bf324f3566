import { validateStep } from '../../core/migrations/steps/validate.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createValidateHandler = (getDeps: GetDeps) => createStepHandler(Step.VALIDATE, validateStep, getDeps);
export const handler = createValidateHandler(() => awsComposition().migrationDeps);
