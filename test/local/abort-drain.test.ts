import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lambdas/handlers/logger.ts';
import { LocalWorkflow } from '../../local/local-workflow.ts';

/** One Lambda Task, then an end: enough to abort an execution while its step runs. */
const DEFINITION = {
  StartAt: 'Slow step',
  States: { 'Slow step': { Type: 'Task', Resource: 'arn:aws:lambda:local:000000000000:function:slow', End: true } },
};

describe('Class: LocalWorkflow', () => {
  describe('Method: abortAll', () => {
    it('lets a step already running finish its writes before it returns (the store closes after it)', async () => {
      // Prepare: a step that takes 400 ms and then "writes"
      let started = 0;
      let finished = 0;
      const workflow = new LocalWorkflow({ definition: DEFINITION, tasks: { 'Slow step': { kind: 'lambda', step: 'slow' } } } as never, {
        runStep: async () => {
          started += 1;
          await new Promise((resolve) => setTimeout(resolve, 400));
          finished += 1;
          return {};
        },
        runCopyTask: async () => ({}),
      }, createLogger('abort-drain-test'));
      await workflow.startExecution('slow-one', {});
      for (let i = 0; i < 100 && started === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));

      // Act
      await workflow.abortAll();

      // Assess
      expect(started).toBe(1);
      expect(finished).toBe(1);
      expect(workflow.runningExecutions()).toEqual([]);
    });
  });
});
