import { phase1DoneStep } from '../../core/migrations/steps/phase1-done.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createPhase1DoneHandler = (getDeps: GetDeps) => createStepHandler(Step.PHASE1_DONE, phase1DoneStep, getDeps);
export const handler = createPhase1DoneHandler(() => awsComposition().migrationDeps);
