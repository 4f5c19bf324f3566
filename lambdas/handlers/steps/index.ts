import type { Step } from '../../core/workflow.ts';
import type { GetDeps, StepHandler } from '../step-handler.ts';
import { createAwaitCompletionHandler } from './await-completion.ts';
import { createAwaitSwitchoverHandler } from './await-switchover.ts';
import { createCleanupHandler } from './cleanup.ts';
import { createCopyFaultHandler } from './copy-fault.ts';
import { createCutoverHandler } from './cutover.ts';
import { createDriverCancelHandler } from './driver-cancel.ts';
import { createDriverCompatibilityHandler } from './driver-compatibility.ts';
import { createDriverCompleteHandler } from './driver-complete.ts';
import { createDriverContinueHandler } from './driver-continue.ts';
import { createDriverStartHandler } from './driver-start.ts';
import { createPhase1DoneHandler } from './phase1-done.ts';
import { createPlanPurgeHandler } from './plan-purge.ts';
import { createPrepareDestinationHandler } from './prepare-destination.ts';
import { createReleaseShareHandler } from './release-share.ts';
import { createSnapshotDestinationHandler } from './snapshot-destination.ts';
import { createSourceReadOnlyHandler } from './source-read-only.ts';
import { createSwitchoverWritersHandler } from './switchover-writers.ts';
import { createValidateHandler } from './validate.ts';

/** Every step's handler factory, by step name: the local runtime builds its task handlers from this. */
export const STEP_HANDLER_FACTORIES: Readonly<Record<Step, (getDeps: GetDeps) => StepHandler<never, unknown>>> = {
  'validate': createValidateHandler,
  'driver-compatibility': createDriverCompatibilityHandler,
  'driver-start': createDriverStartHandler,
  'driver-continue': createDriverContinueHandler,
  'driver-cancel': createDriverCancelHandler,
  'driver-complete': createDriverCompleteHandler,
  'prepare-destination': createPrepareDestinationHandler,
  'snapshot-destination': createSnapshotDestinationHandler,
  'phase1-done': createPhase1DoneHandler,
  'await-completion': createAwaitCompletionHandler,
  'source-read-only': createSourceReadOnlyHandler,
  'cutover': createCutoverHandler,
  'cleanup': createCleanupHandler,
  'release-share': createReleaseShareHandler,
  'switchover-writers': createSwitchoverWritersHandler,
  'await-switchover': createAwaitSwitchoverHandler,
  'plan-purge': createPlanPurgeHandler,
  'copy-fault': createCopyFaultHandler,
};
