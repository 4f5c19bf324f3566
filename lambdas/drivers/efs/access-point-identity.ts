import { isPosixId, isRecord, MAX_ID, rejectUnknownKeys, type Fail } from './config-values.ts';

/**
 * Who owns and may write an `access-point` backend's instances: the owner and mode EFS gives each
 * instance's folder (root_directory), and the POSIX user every request through the access points is made
 * as (posix_user), which must be that owner.
 */

/** Owner and mode of an access point's root folder, created by EFS on first use. */
export interface EfsRootDirectoryConfig {
  /** @default 0 */
  readonly owner_uid?: number;
  /** @default 0 */
  readonly owner_gid?: number;
  /** Octal, as EFS takes it. @default '0755' */
  readonly permissions?: string;
}

/**
 * A POSIX identity every NFS request through the access point is made as. Setting one means files are
 * owned by it whatever the client says, so a copy cannot preserve other owners.
 */
export interface EfsPosixUserConfig {
  readonly uid: number;
  readonly gid: number;
  readonly secondary_gids?: readonly number[];
}

export const DEFAULT_ROOT_DIRECTORY: Required<EfsRootDirectoryConfig> = { owner_uid: 0, owner_gid: 0, permissions: '0755' };
export const PERMISSIONS_PATTERN = /^[0-7]{3,4}$/;

export function resolveRootDirectory(raw: unknown, at: string, fail: Fail, base: Required<EfsRootDirectoryConfig> = DEFAULT_ROOT_DIRECTORY): Required<EfsRootDirectoryConfig> {
  if (raw === undefined) return base;
  if (!isRecord(raw)) return fail(`${at} must be an object { "owner_uid", "owner_gid", "permissions" }`);
  rejectUnknownKeys(raw, new Set(['owner_uid', 'owner_gid', 'permissions']), at, fail);
  const uid = raw.owner_uid ?? base.owner_uid;
  const gid = raw.owner_gid ?? base.owner_gid;
  const permissions = raw.permissions ?? base.permissions;
  if (!isPosixId(uid)) fail(`${at}.owner_uid must be an integer from 0 to ${MAX_ID}`);
  if (!isPosixId(gid)) fail(`${at}.owner_gid must be an integer from 0 to ${MAX_ID}`);
  if (typeof permissions !== 'string' || !PERMISSIONS_PATTERN.test(permissions)) fail(`${at}.permissions must be an octal mode string such as "0755"`);
  return { owner_uid: uid as number, owner_gid: gid as number, permissions: permissions as string };
}

export function resolvePosixUser(raw: unknown, at: string, fail: Fail): EfsPosixUserConfig {
  if (!isRecord(raw)) return fail(`${at} must be an object { "uid", "gid" }`);
  rejectUnknownKeys(raw, new Set(['uid', 'gid', 'secondary_gids']), at, fail);
  if (!isPosixId(raw.uid)) fail(`${at}.uid must be an integer from 0 to ${MAX_ID}`);
  if (!isPosixId(raw.gid)) fail(`${at}.gid must be an integer from 0 to ${MAX_ID}`);
  const secondary = raw.secondary_gids;
  if (secondary !== undefined && (!Array.isArray(secondary) || secondary.length > 16 || !secondary.every(isPosixId))) {
    fail(`${at}.secondary_gids must be up to 16 group ids`);
  }
  return {
    uid: raw.uid as number,
    gid: raw.gid as number,
    ...(secondary === undefined ? {} : { secondary_gids: [...(secondary as number[])] }),
  };
}

/**
 * Every request through an access point with a POSIX user is made as that user, and EFS creates the
 * instance folder with root_directory's owner and permissions: owned by anyone else, the folder (0755 by
 * default) cannot be written by the share's own clients, nor by the copy task.
 */
export function checkRootOwnedByPosixUser(
  backendHost: string,
  root: Required<EfsRootDirectoryConfig>,
  defaulted: boolean,
  user: EfsPosixUserConfig,
  at: string,
  fail: Fail,
): void {
  if (root.owner_uid === user.uid && root.owner_gid === user.gid) return;
  fail(
    `${at}.posix_user: backend "${backendHost}" makes every request through its access points as uid ${user.uid} gid ${user.gid}, ` +
      `but its instance folders would be owned by uid ${root.owner_uid} gid ${root.owner_gid} (${defaulted ? 'root_directory\'s default' : `${at}.root_directory`}), ` +
      'so the share\'s own clients could not write them: ' +
      `set "root_directory": { "owner_uid": ${user.uid}, "owner_gid": ${user.gid}, "permissions": "${root.permissions}" }`,
  );
}
