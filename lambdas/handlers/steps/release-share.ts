import { releaseShareStep } from '../../core/migrations/steps/release-share.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createReleaseShareHandler = (getDeps: GetDeps) => createStepHandler(Step.RELEASE_SHARE, releaseShareStep, getDeps);
export const handler = createReleaseShareHandler(() => awsComposition().migrationDeps);
