import type { PoolCapabilities } from '../model.ts';

/**
 * The file metadata `preserve_metadata=True` asks a migration to carry: what the copy task keeps and
 * verifies. `acls` are POSIX ACLs (stored as the system.posix_acl_* extended attributes); `xattrs` are
 * the other extended attributes (user.*, trusted.*, security.*).
 */
export const METADATA_KINDS = ['modes', 'owners', 'times', 'xattrs', 'acls'] as const;
export type MetadataKind = (typeof METADATA_KINDS)[number];

/**
 * The capabilities a pool reports about metadata (read with the functions below):
 * - `metadata_preserved`: the kinds an instance on the pool keeps exactly as written. A pool that
 *   reports nothing is taken to keep every kind (what the copy task writes, as before pools said).
 * - `metadata_forced_owner`: `"<uid>:<gid>"`, on a pool that gives everything written to it that owner
 *   (an EFS access point with a POSIX user); such a pool does not list `owners`.
 */
export const MetadataCapability = { PRESERVED: 'metadata_preserved', FORCED_OWNER: 'metadata_forced_owner' } as const;

/**
 * Every share holds these (each entry has a mode, an owner, times): a destination that cannot keep one
 * loses it for certain. Extended attributes and ACLs are on some entries of some shares: whether they
 * are lost depends on the share's content, which only the copy sees.
 */
export const HELD_BY_EVERY_SHARE: readonly MetadataKind[] = ['modes', 'owners', 'times'];

export function isMetadataKind(value: unknown): value is MetadataKind {
  return typeof value === 'string' && (METADATA_KINDS as readonly string[]).includes(value);
}

/** What a pool keeps; every kind when it does not say. */
export function metadataPreserved(capabilities: PoolCapabilities): ReadonlySet<MetadataKind> {
  const reported = capabilities[MetadataCapability.PRESERVED];
  if (!Array.isArray(reported)) return new Set(METADATA_KINDS);
  return new Set(reported.filter(isMetadataKind));
}

/** The owner a pool gives everything written to it, `"uid:gid"`, if it forces one. */
export function forcedOwner(capabilities: PoolCapabilities): string | undefined {
  const owner = capabilities[MetadataCapability.FORCED_OWNER];
  return typeof owner === 'string' ? owner : undefined;
}

/**
 * A `metadata_preserved` list from configuration: known kinds, each once, in METADATA_KINDS order.
 * Returns a problem to report, or the list.
 */
export function parseMetadataKinds(value: unknown): { kinds: MetadataKind[] } | { problem: string } {
  if (!Array.isArray(value) || value.some((kind) => !isMetadataKind(kind))) {
    return { problem: `must be a list of ${METADATA_KINDS.join(', ')}` };
  }
  return { kinds: METADATA_KINDS.filter((kind) => value.includes(kind)) };
}
