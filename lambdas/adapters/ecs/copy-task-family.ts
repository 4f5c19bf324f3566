import { createHash } from 'node:crypto';

/** What ECS allows in a task definition family name (RegisterTaskDefinition `family`). */
const FAMILY_NAME = /^[A-Za-z0-9_-]+$/;
const MAX_FAMILY_LENGTH = 255;
/** Stands for a migration id that cannot be part of a family name: `sha256-` and 40 hex digits. */
const HASHED_ID_LENGTH = 'sha256-'.length + 40;

/**
 * `<base family>-`: what the family of every migration's copy task definition starts with. The stack
 * grants RunTask and TagResource on `task-definition/<prefix>*:*` (cdk/lib/copy-task.ts).
 */
export function migrationFamilyPrefix(baseFamily: string): string {
  return `${baseFamily}-`;
}

/**
 * The family of one migration's copy task definition: `<base family>-<migration id>`, so that the
 * migration's revision can be looked up by family before registering another. A migration id that
 * ECS would refuse in a family name, or that makes it too long, stands for its hash.
 */
export function migrationFamily(baseFamily: string, migrationId: string): string {
  const prefix = migrationFamilyPrefix(baseFamily);
  if (!FAMILY_NAME.test(baseFamily) || prefix.length + HASHED_ID_LENGTH > MAX_FAMILY_LENGTH) {
    throw new Error(`Copy task family "${baseFamily}" cannot carry a migration id (letters, digits, "-", "_", at most ${MAX_FAMILY_LENGTH - HASHED_ID_LENGTH - 1} characters); give the copy task definition a shorter family`);
  }
  const usable = FAMILY_NAME.test(migrationId) && prefix.length + migrationId.length <= MAX_FAMILY_LENGTH;
  return prefix + (usable ? migrationId : `sha256-${createHash('sha256').update(migrationId).digest('hex').slice(0, 40)}`);
}

/**
 * The family of the purge task definition of one file system: `<base family>-purge-<file system id>`, among
 * the `<base family>-*` revisions the state machine may run.
 */
export function purgeFamily(baseFamily: string, fileSystemId: string): string {
  if (!/^fs-[0-9a-f]{8,40}$/.test(fileSystemId)) throw new Error(`"${fileSystemId}" is not an EFS file system id`);
  return `${migrationFamilyPrefix(baseFamily)}purge-${fileSystemId}`;
}

/** The family of a task definition ARN (`...:task-definition/<family>:<revision>`), `family:revision` or family. */
export function familyOf(taskDefinition: string): string {
  const name = taskDefinition.includes('task-definition/') ? taskDefinition.slice(taskDefinition.indexOf('task-definition/') + 'task-definition/'.length) : taskDefinition;
  return name.split(':')[0]!;
}
