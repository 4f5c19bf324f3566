import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../../..');
export const EFS_DRIVER_DIR = resolve(ROOT, 'lambdas/drivers/efs');

const EFS_SDK = '@aws-sdk/client-efs';
const CLOUDWATCH_SDK = '@aws-sdk/client-cloudwatch';

/**
 * `import ... from '...'` and `export ... from '...'` statements. `import type` / `export type` are erased;
 * every other one stays in the output under verbatimModuleSyntax (an import whose names are all inline
 * `type` ones becomes `import {} from`), so it counts as reaching the module.
 */
const STATEMENT = /^\s*(import|export)\s+(type\s+)?(\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)\s+from\s+['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^\s*import\s+['"]([^'"]+)['"]/gm;

export interface ModuleImports {
  /** Repository-relative paths of the relative modules it reaches. */
  readonly modules: readonly string[];
  /** The `...Command` names it imports from @aws-sdk/client-efs as values. */
  readonly efsCommands: readonly string[];
  /** The `...Command` names it imports from @aws-sdk/client-cloudwatch as values. */
  readonly cloudWatchCommands: readonly string[];
  /** Statements that import @aws-sdk/client-efs other than by named values (a namespace would hide what is sent). */
  readonly otherEfsImports: readonly string[];
}

export function importsOf(file: string): ModuleImports {
  const path = resolve(ROOT, file);
  const text = readFileSync(path, 'utf8');
  const modules: string[] = [];
  const efsCommands: string[] = [];
  const cloudWatchCommands: string[] = [];
  const otherEfsImports: string[] = [];
  for (const [statement, , typeOnly, names = '', from = ''] of text.matchAll(STATEMENT)) {
    if (typeOnly) continue;
    if (from === EFS_SDK) {
      if (!names.startsWith('{')) otherEfsImports.push(statement.trim());
      efsCommands.push(...valueNames(names).filter((name) => name.endsWith('Command')));
    } else if (from === CLOUDWATCH_SDK) {
      if (!names.startsWith('{')) otherEfsImports.push(statement.trim());
      cloudWatchCommands.push(...valueNames(names).filter((name) => name.endsWith('Command')));
    } else if (from.startsWith('.')) {
      modules.push(relative(ROOT, resolve(dirname(path), from)));
    }
  }
  for (const [statement, from = ''] of text.matchAll(BARE_IMPORT)) {
    if (from === EFS_SDK || from === CLOUDWATCH_SDK) otherEfsImports.push(statement.trim());
    else if (from.startsWith('.')) modules.push(relative(ROOT, resolve(dirname(path), from)));
  }
  return { modules, efsCommands, cloudWatchCommands, otherEfsImports };
}

/** Every module `file` reaches through relative imports, itself included. */
export function closureOf(file: string): string[] {
  const seen = new Set<string>();
  const visit = (module: string): void => {
    if (seen.has(module)) return;
    seen.add(module);
    importsOf(module).modules.forEach(visit);
  };
  visit(file);
  return [...seen].sort();
}

/**
 * `elasticfilesystem:<name>` of every EFS command, and `cloudwatch:<name>` of every CloudWatch one, that the
 * modules reachable from `file` import.
 */
export function efsActionsReachedFrom(file: string): string[] {
  const imports = closureOf(file).map((module) => importsOf(module));
  const actions = [
    ...imports.flatMap((found) => found.efsCommands).map((command) => `elasticfilesystem:${command.replace(/Command$/, '')}`),
    ...imports.flatMap((found) => found.cloudWatchCommands).map((command) => `cloudwatch:${command.replace(/Command$/, '')}`),
  ];
  return [...new Set(actions)].sort();
}

/** The imported names of `{ a, type B, c as d }` that are values: `a`, `c`. */
function valueNames(names: string): string[] {
  return names
    .replace(/^\{|\}$/g, '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '' && !name.startsWith('type '))
    .map((name) => name.split(/\s+as\s+/)[0]!);
}
