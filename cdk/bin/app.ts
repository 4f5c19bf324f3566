import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STACK_NAME, ShareMigrationStack } from '../lib/share-migration-stack.ts';

const app = new App();
// Environment-agnostic on purpose: synth needs no credentials and does no lookups.
new ShareMigrationStack(app, STACK_NAME, {
  description: 'share-migration: OpenStack Manila share migration as a serverless pipeline',
});
// cdk-nag's AwsSolutions rules: any finding not acknowledged (with its reason) where it arises fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
