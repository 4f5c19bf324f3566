import { App } from 'aws-cdk-lib';
import { STACK_NAME, ShareMigrationStack } from '../lib/share-migration-stack.ts';

const app = new App();
// Environment-agnostic on purpose: synth needs no credentials and does no lookups.
new ShareMigrationStack(app, STACK_NAME, {
  description: 'share-migration: OpenStack Manila share migration as a serverless pipeline',
});
app.synth();
