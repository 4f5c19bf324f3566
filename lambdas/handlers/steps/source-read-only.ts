import { sourceReadOnlyStep } from '../../core/migrations/steps/source-read-only.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createSourceReadOnlyHandler = (getDeps: GetDeps) => createStepHandler(Step.SOURCE_READ_ONLY, sourceReadOnlyStep, getDeps);
export const handler = createSourceReadOnlyHandler(() => awsComposition().migrationDeps);
