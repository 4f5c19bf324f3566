import type { CopyFailure } from './types.ts';

/**
 * Failures where the destination's file system refused to store an extended attribute or a POSIX ACL
 * the source entry carries: setxattr answered ENOTSUP (EOPNOTSUPP), as it does on a file system without
 * them (Amazon EFS over NFSv4.1, ramfs, FAT). The copy does not drop them: the entry fails (a file's
 * copy is not put under its name) and so does the run, so a migration stops before switchover (a run
 * told that metadata need not be preserved leaves them out instead: left-out-metadata.ts). This
 * names what was refused, so that the failure says why and not only which calls failed.
 */
const NOT_SUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP']);
/** Both wordings: the addon's "... (cannot set extended attribute NAME)" and the engine's "cannot set extended attribute NAME: ...". */
const ATTRIBUTE = /cannot set extended attribute (.+?)(?:\)$|: )/;
const ACL_PREFIX = 'system.posix_acl_';
const EXAMPLES = 3;

export interface RefusedAttribute {
  readonly path: string;
  readonly name: string;
}

/** The refused attributes among `failures`, POSIX ACLs apart from other extended attributes. */
export function refusedMetadata(failures: readonly CopyFailure[]): { readonly acls: RefusedAttribute[]; readonly xattrs: RefusedAttribute[] } {
  const acls: RefusedAttribute[] = [];
  const xattrs: RefusedAttribute[] = [];
  for (const failure of failures) {
    if (failure.code === undefined || !NOT_SUPPORTED.has(failure.code)) continue;
    const name = ATTRIBUTE.exec(failure.reason)?.[1];
    if (name === undefined) continue;
    (name.startsWith(ACL_PREFIX) ? acls : xattrs).push({ path: failure.path, name });
  }
  return { acls, xattrs };
}

/** A sentence for the run's error when the destination refused metadata; undefined when it did not. */
export function describeRefusedMetadata(failures: readonly CopyFailure[]): string | undefined {
  const { acls, xattrs } = refusedMetadata(failures);
  const parts = [
    acls.length > 0 ? `no POSIX ACLs (${entries(acls, false)})` : undefined,
    xattrs.length > 0 ? `no extended attributes (${entries(xattrs, true)})` : undefined,
  ].filter((part) => part !== undefined);
  if (parts.length === 0) return undefined;
  return `the destination's file system keeps ${parts.join(' and ')}, which the source carries; ` +
    'they are not dropped: the copy fails on each entry that carries them';
}

function entries(refused: readonly RefusedAttribute[], withNames: boolean): string {
  const listed = refused.slice(0, EXAMPLES).map((r) => (withNames ? `${r.path}: ${r.name}` : r.path));
  const more = refused.length > EXAMPLES ? `, and ${refused.length - EXAMPLES} more` : '';
  return `refused on ${refused.length} ${refused.length === 1 ? 'entry' : 'entries'}: ${listed.join(', ')}${more}`;
}
