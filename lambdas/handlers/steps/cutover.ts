import { cutoverStep } from '../../core/migrations/steps/cutover.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createCutoverHandler = (getDeps: GetDeps) => createStepHandler(Step.CUTOVER, cutoverStep, getDeps);
export const handler = createCutoverHandler(() => awsComposition().migrationDeps);
