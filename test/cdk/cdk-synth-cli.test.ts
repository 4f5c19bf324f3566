import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_NAME_ENV } from '../../cdk/lib/migration-function.ts';
import { ADMIN_TOKEN_SHA256_PARAMETER } from '../../cdk/lib/share-migration-stack.ts';
import { ALL_STEPS } from '../../lambdas/core/workflow.ts';
import { REPO_ROOT } from './support.ts';

const run = promisify(execFile);

interface Manifest {
  readonly dockerImages: Record<string, { readonly source: { readonly directory: string; readonly dockerFile?: string; readonly platform?: string } }>;
  readonly files: Record<string, { readonly source: { readonly path: string; readonly packaging?: string } }>;
}

// One CLI synth for the whole file: what `npm run synth` does, with real esbuild bundling and no Docker.
let outdir: string;
let template: {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Parameters?: Record<string, Record<string, unknown>>;
};
let assets: Manifest;

beforeAll(async () => {
  outdir = await fs.mkdtemp(path.join(os.tmpdir(), 'smig-cdk-out-'));
  const bin = path.join(REPO_ROOT, 'node_modules', '.bin');
  await run(path.join(bin, 'cdk'), ['synth', '--quiet', '-o', outdir], {
    cwd: REPO_ROOT,
    // Node 22 from the `node` devDependency, as npm run puts it first; no credentials, no network needed.
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, CDK_DISABLE_VERSION_CHECK: '1' },
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  template = JSON.parse(await fs.readFile(path.join(outdir, 'ShareMigration.template.json'), 'utf8'));
  assets = JSON.parse(await fs.readFile(path.join(outdir, 'ShareMigration.assets.json'), 'utf8'));
}, 240_000);

afterAll(async () => {
  await fs.rm(outdir, { recursive: true, force: true });
});

function hasStepName(properties: Record<string, unknown> | undefined): boolean {
  const environment = properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return typeof environment?.Variables?.[STEP_NAME_ENV] === 'string';
}

describe('cdk synth (the CLI, as npm run synth)', () => {
  it.each([
    'AWS::StepFunctions::StateMachine',
    'AWS::Lambda::Function',
    'AWS::DynamoDB::Table',
    'AWS::ECS::TaskDefinition',
    'AWS::ApiGateway::RestApi',
  ])('writes a template with %s', (type) => {
    // Assess
    expect(Object.values(template.Resources).some((resource) => resource.Type === type)).toBe(true);
  });

  it('needs no context: the admin token hash is left to a NoEcho parameter given at deploy', () => {
    // Assess
    expect(template.Parameters?.[ADMIN_TOKEN_SHA256_PARAMETER]).toMatchObject({ Type: 'String', NoEcho: true, AllowedPattern: '^[0-9a-f]{64}$' });
    expect(template.Parameters?.[ADMIN_TOKEN_SHA256_PARAMETER]).not.toHaveProperty('Default');
  });

  it('bundles every handler with esbuild into an ESM file with its source map', async () => {
    // Prepare
    const handlers = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function' && hasStepName(resource.Properties),
    );
    const codeKeys = handlers.map((fn) => ((fn.Properties?.Code as { S3Key: string }).S3Key).replace(/\.zip$/, ''));

    // Assess: a function per Step, the API's, and the ended-execution cleanup's.
    expect(handlers).toHaveLength(ALL_STEPS.length + 2);
    for (const key of codeKeys) {
      const directory = path.join(outdir, assets.files[key]!.source.path);
      expect((await fs.readdir(directory)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    }
  });

  it('declares the copy image from copy-task/Dockerfile without building it', async () => {
    // Prepare
    const images = Object.values(assets.dockerImages);

    // Assess
    expect(images).toHaveLength(1);
    expect(images[0]!.source).toMatchObject({ dockerFile: 'copy-task/Dockerfile', platform: 'linux/amd64' });
    const context = await fs.readdir(path.join(outdir, images[0]!.source.directory));
    expect(context).toContain('copy-task');
    expect(context).not.toContain('node_modules');
    expect(context).not.toContain('cdk.out');
  });
});
