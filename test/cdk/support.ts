import { readFileSync } from 'node:fs';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { IConstruct } from 'constructs';
import { REPO_ROOT, repoPath } from '../../cdk/lib/paths.ts';
import { STACK_NAME, ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';

export { REPO_ROOT };

/** The feature flags of cdk.json, so tests see what `cdk synth` writes. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(repoPath('cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * The stack as `cdk synth` builds it, minus the work tests do not need: no esbuild bundling, and a
 * registry image instead of the copy-task/Dockerfile asset. `context` adds to (or overrides) cdk.json's.
 */
export function synthesizeStack(context: Record<string, unknown> = {}): { readonly stack: ShareMigrationStack; readonly template: Template } {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new ShareMigrationStack(app, STACK_NAME, {
    copyImage: ecs.ContainerImage.fromRegistry('share-migration/copy-task:test'),
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild as CfnElement | undefined;
  if (child === undefined) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(child);
}
