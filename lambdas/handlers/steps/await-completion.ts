import { awaitCompletionStep } from '../../core/migrations/steps/await-completion.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createAwaitCompletionHandler = (getDeps: GetDeps) => createStepHandler(Step.AWAIT_COMPLETION, awaitCompletionStep, getDeps);
export const handler = createAwaitCompletionHandler(() => awsComposition().migrationDeps);
