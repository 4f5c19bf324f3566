import { describe, expect, it } from 'vitest';
import { ContextKey } from '../../cdk/lib/share-migration-stack.ts';
import { StateName } from '../../cdk/lib/migration-workflow.ts';
import { FARGATE_SPOT } from '../../cdk/lib/workflow-tasks.ts';
import { resolveDefinition, type CfnTemplate } from '../../local/synthesized-definition.ts';
import { synthesizeStack } from './support.ts';

type State = Record<string, any>;

function synth(context: Record<string, unknown>) {
  const { template } = synthesizeStack(context);
  const states = (resolveDefinition(template.toJSON() as CfnTemplate) as { States: Record<string, State> }).States;
  return { template, states };
}

const COPY_STATES = [StateName.BULK_COPY, StateName.SNAPSHOT_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY];

describe('Context: copySpot', () => {
  it('runs every copy pass on FARGATE_SPOT (no launch type), the purge on-demand, with the cluster\'s Fargate capacity providers', () => {
    // Act
    const { template, states } = synth({ [ContextKey.COPY_SPOT]: 'true' });

    // Assess
    for (const name of COPY_STATES) {
      expect(states[name]!['Parameters'].CapacityProviderStrategy, name).toEqual([{ CapacityProvider: FARGATE_SPOT, Weight: 1 }]);
      expect(states[name]!['Parameters'].LaunchType, name).toBeUndefined();
    }
    expect(states[StateName.PURGE]!['Parameters']).toMatchObject({ LaunchType: 'FARGATE' });
    expect(states[StateName.PURGE]!['Parameters'].CapacityProviderStrategy).toBeUndefined();
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: ['FARGATE', FARGATE_SPOT],
    });
  });

  it('keeps Fargate on-demand without it', () => {
    // Act
    const { template, states } = synth({});

    // Assess
    for (const name of COPY_STATES) {
      expect(states[name]!['Parameters']).toMatchObject({ LaunchType: 'FARGATE' });
      expect(states[name]!['Parameters'].CapacityProviderStrategy).toBeUndefined();
    }
    template.resourceCountIs('AWS::ECS::ClusterCapacityProviderAssociations', 0);
  });
});
