import { cleanupStep } from '../../core/migrations/steps/cleanup.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createCleanupHandler = (getDeps: GetDeps) => createStepHandler(Step.CLEANUP, cleanupStep, getDeps);
export const handler = createCleanupHandler(() => awsComposition().migrationDeps);
