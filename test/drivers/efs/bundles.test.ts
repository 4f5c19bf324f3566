import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { EFS_PART_NAMES, EFS_PART_PERMISSIONS, type EfsPartName } from '../../../lambdas/drivers/efs/index.ts';
import { ROOT } from './module-graph.ts';

/** The export name and module of each part. */
const PARTS: Readonly<Record<EfsPartName, readonly [string, string]>> = {
  pools: ['efsPools', 'pools'],
  instances: ['efsInstances', 'instances'],
  accessRules: ['efsAccessRules', 'access-rules'],
  replication: ['efsReplication', 'replication'],
  switchover: ['efsSwitchover', 'switchover'],
};

const COMMAND_MODULE = /node_modules\/@aws-sdk\/client-(efs|cloudwatch)\/dist-es\/commands\/(\w+)Command\.js$/;
const ACTION_PREFIX: Readonly<Record<string, string>> = { efs: 'elasticfilesystem', cloudwatch: 'cloudwatch' };

/**
 * `elasticfilesystem:<name>` of every EFS command, and `cloudwatch:<name>` of every CloudWatch one, whose code is in the bundle of `entry`, bundled as the
 * CDK stack bundles a handler (esbuild, ESM, node22, tree shaking).
 */
async function efsActionsInBundle(entry: string): Promise<string[]> {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    write: false,
    outfile: 'bundle.mjs',
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  return Object.entries(output!.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .flatMap(([path]) => {
      const match = COMMAND_MODULE.exec(path);
      return match ? [`${ACTION_PREFIX[match[1]!]}:${match[2]}`] : [];
    })
    .sort();
}

/** A handler's composition: a registry whose drivers have only `parts`. */
function entryWith(parts: readonly EfsPartName[]): string {
  const imports = parts.map((part) => `import { ${PARTS[part][0]} } from './lambdas/drivers/efs/parts/${PARTS[part][1]}.ts';`);
  return [
    "import { EfsDriverRegistry } from './lambdas/drivers/efs/index.ts';",
    ...imports,
    `export const compose = (document, deps) => EfsDriverRegistry.fromDocument(document, { ...deps, parts: { ${parts.map((part) => `${part}: ${PARTS[part][0]}`).join(', ')} } });`,
  ].join('\n');
}

describe('Bundles of the EFS driver', () => {
  it('holds no EFS command when the driver is composed without parts', async () => {
    // Act & Assess
    await expect(efsActionsInBundle(entryWith([]))).resolves.toEqual([]);
  });

  it.each(EFS_PART_NAMES)('holds exactly the commands of the %s part when composed with it alone', async (part) => {
    // Act & Assess
    await expect(efsActionsInBundle(entryWith([part]))).resolves.toEqual([...EFS_PART_PERMISSIONS[part].calls].sort());
  });

  it('holds every command of every part through all-parts.ts', async () => {
    // Prepare
    const entry = [
      "import { EfsDriverRegistry } from './lambdas/drivers/efs/index.ts';",
      "import { allEfsParts } from './lambdas/drivers/efs/all-parts.ts';",
      'export const compose = (document, deps) => EfsDriverRegistry.fromDocument(document, { ...deps, parts: allEfsParts });',
    ].join('\n');
    const every = [...new Set(EFS_PART_NAMES.flatMap((part) => EFS_PART_PERMISSIONS[part].calls))].sort();

    // Act & Assess
    await expect(efsActionsInBundle(entry)).resolves.toEqual(every);
  });
});
