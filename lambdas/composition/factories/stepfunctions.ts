import { SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowPort } from '../../core/ports.ts';
import { StepFunctionsTaskTokens } from '../../adapters/stepfunctions/step-functions-task-tokens.ts';
import { StepFunctionsWorkflow } from '../../adapters/stepfunctions/step-functions-workflow.ts';
import type { AdapterFactory } from '../aws-function.ts';
import { FunctionEnv } from '../function-env.ts';
import { composedOnly } from '../not-composed.ts';

/** Starting executions and answering task tokens (the API). */
export const stepFunctionsWorkflow: AdapterFactory<WorkflowPort> = (context) =>
  new StepFunctionsWorkflow(new SFNClient({}), context.required(FunctionEnv.STATE_MACHINE_ARN));

/** Answering task tokens only (await-completion); startExecution fails loudly. */
export const stepFunctionsTaskTokens: AdapterFactory<WorkflowPort> = (context) =>
  composedOnly<WorkflowPort>(context.functionName, 'workflow', new StepFunctionsTaskTokens(new SFNClient({})));
