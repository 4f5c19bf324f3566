import { prepareDestinationStep } from '../../core/migrations/steps/prepare-destination.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createPrepareDestinationHandler = (getDeps: GetDeps) => createStepHandler(Step.PREPARE_DESTINATION, prepareDestinationStep, getDeps);
export const handler = createPrepareDestinationHandler(() => awsComposition().migrationDeps);
