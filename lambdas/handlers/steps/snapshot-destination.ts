import { snapshotDestinationStep } from '../../core/migrations/steps/snapshot-destination.ts';
import { Step } from '../../core/workflow.ts';
import { awsComposition } from '../../composition/aws.ts';
import { createStepHandler, type GetDeps } from '../step-handler.ts';

export const createSnapshotDestinationHandler = (getDeps: GetDeps) => createStepHandler(Step.SNAPSHOT_DESTINATION, snapshotDestinationStep, getDeps);
export const handler = createSnapshotDestinationHandler(() => awsComposition().migrationDeps);
