import { describe, expect, it } from 'vitest';
import { ContextKey } from '../../cdk/lib/share-migration-stack.ts';
import { synthesizeStack } from './support.ts';

/** The API function's quota defaults from the context (lambdas/core/quotas/quota-model.ts parseQuotaDefaults). */
describe('Context: quotaDefaults', () => {
  const apiEnvironments = (template: ReturnType<typeof synthesizeStack>['template']) =>
    Object.values(template.findResources('AWS::Lambda::Function'))
      .map((fn: any) => fn.Properties.Environment?.Variables ?? {})
      .filter((vars: Record<string, unknown>) => vars['STEP_NAME'] === 'api');

  it("gives the API function SMIG_QUOTA_DEFAULTS from the context's JSON object", () => {
    // Act
    const fromObject = apiEnvironments(synthesizeStack({ [ContextKey.QUOTA_DEFAULTS]: { shares: 50, gigabytes: 1000 } }).template);

    // Assess
    expect(fromObject).toHaveLength(1);
    expect(fromObject[0]!['SMIG_QUOTA_DEFAULTS']).toBe('{"shares":50,"gigabytes":1000}');
  });

  it('refuses at synthesis a value the function could not read, saying what to write', () => {
    expect(() => synthesizeStack({ [ContextKey.QUOTA_DEFAULTS]: '{"shares": "many"}' })).toThrow(
      'Context quotaDefaults: shares must be a whole number, -1 (unlimited) or more',
    );
  });

  it('sets nothing without it (every quota unlimited)', () => {
    const env = apiEnvironments(synthesizeStack({}).template);

    expect(env[0]).not.toHaveProperty('SMIG_QUOTA_DEFAULTS');
  });
});
