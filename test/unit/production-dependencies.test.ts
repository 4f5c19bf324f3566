import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, repoPath } from '../../cdk/lib/paths.ts';

/**
 * What `npm ci --omit=dev` installs in the copy image (copy-task/Dockerfile) and what the Lambda
 * bundles may pull in: the production dependencies of package.json and their trees, nothing else.
 */

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const packageJson = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as { readonly packages: Record<string, LockEntry> };

/** The packages that serve only the embedded runtime (local/): the local DynamoDB and Step Functions. */
const EMBEDDED_RUNTIME_ONLY = ['dynalite', 'aws-local-stepfunctions'];

/** Package names `npm ci --omit=dev` installs: every lockfile entry not marked dev. */
function productionClosure(): Set<string> {
  return new Set(
    Object.entries(lock.packages)
      .filter(([location, entry]) => location !== '' && entry.dev !== true)
      .map(([location]) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
}

/** Source files of a folder, recursively, without generated output (dist/, build/) or installed packages. */
function sourceFiles(folder: string): string[] {
  return readdirSync(repoPath(folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(?:[cm]?ts|[cm]?js)$/.test(file) && !file.endsWith('.d.ts'))
    .filter((file) => !file.split(path.sep).some((segment) => ['node_modules', 'dist', 'build'].includes(segment)))
    .map((file) => path.join(folder, file));
}

/**
 * The modules a source file loads when it runs: static imports and re-exports, side-effect imports,
 * import() and require(). `import type` and `export type` are left out: Node's type stripping and
 * esbuild erase them, so `aws-lambda` (types only, from @types/aws-lambda) loads nothing.
 */
function runtimeSpecifiers(source: string): string[] {
  const statements = /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]*?\s*from\s*)?['"]([^'"]+)['"]/g;
  const calls = /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [
    ...[...source.matchAll(statements)].filter((match) => match[1] === undefined).map((match) => match[2]!),
    ...[...source.matchAll(calls)].map((match) => match[1]!),
  ];
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a path or a Node built-in. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)) return undefined;
  const segments = specifier.split('/');
  return specifier.startsWith('@') ? segments.slice(0, 2).join('/') : segments[0];
}

/**
 * Dev-only imports that are never loaded by the copy container or a Lambda: the install-time build
 * of the smig-copy CLI bundle uses esbuild when it is there and skips the bundle when it is not
 * (the image installs with --omit=dev --ignore-scripts and runs the container entry, not the CLI).
 */
const BUILD_TIME_IMPORTS: readonly { readonly file: string; readonly packageName: string }[] = [
  { file: 'copy-task/cli/build.mjs', packageName: 'esbuild' },
];

describe('Package: share-migration production dependencies', () => {
  it('keeps dynalite and aws-local-stepfunctions, and what only they need, out of the production install', () => {
    // Prepare
    const closure = productionClosure();

    // Assess
    for (const name of EMBEDDED_RUNTIME_ONLY) {
      expect(packageJson.dependencies, name).not.toHaveProperty(name);
      expect(packageJson.devDependencies, name).toHaveProperty(name);
      expect(closure.has(name), `${name} in the production closure of package-lock.json`).toBe(false);
    }
    // dynalite's LevelDB store (native, built by an install script) goes with it.
    expect(closure.has('classic-level')).toBe(false);
  });

  it('has package-lock.json record the same dependencies and devDependencies as package.json (npm ci refuses a lockfile out of step)', () => {
    // Prepare
    const root = lock.packages['']!;

    // Assess
    expect(root.dependencies).toEqual(packageJson.dependencies);
    expect(root.devDependencies).toEqual(packageJson.devDependencies);
  });

  it('has everything under copy-task/ and lambdas/ load at run time only Node built-ins and production dependencies', () => {
    // Prepare
    const files = [...sourceFiles('copy-task'), ...sourceFiles('lambdas')];
    const devOnly = new Set(Object.keys(packageJson.devDependencies));

    // Act
    const offending = files.flatMap((file) => {
      const source = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      return runtimeSpecifiers(source)
        .map(packageOf)
        .filter((name): name is string => name !== undefined && !(name in packageJson.dependencies))
        .filter((name) => !BUILD_TIME_IMPORTS.some((allowed) => allowed.file === file && allowed.packageName === name))
        .map((name) => `${file} loads ${name}${devOnly.has(name) ? ' (a devDependency)' : ' (not a dependency)'}`);
    });

    // Assess
    expect(files.length).toBeGreaterThan(50);
    expect(offending).toEqual([]);
  });

  it('finds the run-time imports it checks, and leaves type-only imports out', () => {
    // Prepare
    const source = [
      "import { Logger } from '@aws-lambda-powertools/logger';",
      "import type { Context } from 'aws-lambda';",
      "import {\n  a,\n  b,\n} from 'multi-line';",
      "export { c } from 'reexported';",
      "export type { D } from 'type-reexport';",
      "import 'side-effect';",
      "const e = await import('dynamic');",
      "const f = require('required/sub/path');",
      "import * as fs from 'node:fs';",
      "import { g } from './relative.ts';",
    ].join('\n');

    // Act
    const packages = runtimeSpecifiers(source).map(packageOf);

    // Assess
    expect(packages.filter((name) => name !== undefined).sort()).toEqual(
      ['@aws-lambda-powertools/logger', 'dynamic', 'multi-line', 'reexported', 'required', 'side-effect'].sort(),
    );
  });
});
