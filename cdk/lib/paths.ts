import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

/** The repository root: the NodejsFunction project root and the copy task's Docker build context. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A path inside the repository, given relative to its root. */
export function repoPath(...segments: string[]): string {
  return path.join(REPO_ROOT, ...segments);
}
