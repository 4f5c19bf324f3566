import type { MigrationCompatibility } from '../../drivers/driver.ts';
import type { MigrationOptions, PoolCapabilities } from '../model.ts';
import { forcedOwner, HELD_BY_EVERY_SHARE, METADATA_KINDS, metadataPreserved, type MetadataKind } from '../pools/metadata.ts';

export const GUARANTEES = ['writable', 'preserve_metadata', 'nondisruptive', 'preserve_snapshots'] as const;
export type Guarantee = (typeof GUARANTEES)[number];

/**
 * What the host-assisted path here guarantees, and why not where it does not. Unlike Manila's, it keeps
 * the share writable until switchover, carries metadata (modes, owners, times, extended attributes,
 * POSIX ACLs), verified, as far as the destination pool keeps them (metadataAtRisk), and carries
 * snapshots by replaying them onto the destination (snapshot-migration.ts).
 */
export const HOST_ASSISTED_OFFERS: Readonly<Record<Guarantee, true | string>> = {
  writable: true,
  preserve_metadata: true,
  nondisruptive: 'the host-assisted path moves the share to a new export, so clients must remount at switchover',
  preserve_snapshots: true,
};

/** The requested guarantees the host-assisted path cannot give, each with why. */
export function unmetByHostAssisted(options: MigrationOptions): { guarantee: Guarantee; why: string }[] {
  return GUARANTEES.flatMap((g) => {
    const offer = HOST_ASSISTED_OFFERS[g];
    return options[g] && offer !== true ? [{ guarantee: g, why: offer }] : [];
  });
}

/** The requested guarantees the driver's answer does not give. */
export function unmetByDriver(answer: MigrationCompatibility, options: MigrationOptions): Guarantee[] {
  return GUARANTEES.filter((g) => options[g] && !answer[g]);
}

export function describeUnmet(unmet: readonly { guarantee: Guarantee; why: string }[]): string {
  return unmet.map((u) => `${u.guarantee}=True (${u.why})`).join('; ');
}

export interface MetadataLoss {
  readonly kind: MetadataKind;
  readonly why: string;
}

export interface MetadataRisk {
  /** Metadata every share holds that the destination would lose: preserve_metadata=True is refused at the start. */
  readonly refused: readonly MetadataLoss[];
  /**
   * Metadata the destination does not keep that only some entries carry (extended attributes, ACLs):
   * accepted, and the copy task fails the migration before switchover if the share holds any.
   */
  readonly contentDecides: readonly MetadataLoss[];
}

/**
 * What preserve_metadata=True cannot count on when a share moves from a pool with `source`'s
 * capabilities (undefined: not known, so it may hold every kind) to one with `destination`'s: the
 * kinds the source keeps and the destination does not. A pool's capabilities say what its storage
 * keeps, whichever path writes to it, so this holds for the driver-assisted path too.
 */
export function metadataAtRisk(source: PoolCapabilities | undefined, destination: PoolCapabilities): MetadataRisk {
  const kept = metadataPreserved(destination);
  const held = source === undefined ? new Set<MetadataKind>(METADATA_KINDS) : metadataPreserved(source);
  const refused: MetadataLoss[] = [];
  const contentDecides: MetadataLoss[] = [];
  for (const kind of METADATA_KINDS) {
    if (kept.has(kind)) continue;
    if (kind === 'owners') {
      const loss = ownerLoss(source, destination);
      if (loss !== null) refused.push({ kind, why: loss });
      continue;
    }
    if (!held.has(kind)) continue; // The share cannot hold what its own pool does not keep.
    (HELD_BY_EVERY_SHARE.includes(kind) ? refused : contentDecides).push({ kind, why: NOT_KEPT[kind] });
  }
  return { refused, contentDecides };
}

const NOT_KEPT: Readonly<Record<MetadataKind, string>> = {
  modes: 'it does not keep file modes',
  owners: 'it does not keep owners',
  times: 'it does not keep file times',
  xattrs: 'it keeps no extended attributes',
  acls: 'it keeps no POSIX ACLs',
};

/**
 * Owners are lost unless the destination keeps any owner, or forces the very owner the source forced
 * (then the share's entries already have it). A source that keeps no owners and forces none has none to lose.
 */
function ownerLoss(source: PoolCapabilities | undefined, destination: PoolCapabilities): string | null {
  const from = source === undefined || metadataPreserved(source).has('owners') ? 'any' : (forcedOwner(source) ?? 'none');
  const to = forcedOwner(destination);
  if (from === 'none' || from === to) return null;
  if (to === undefined) return NOT_KEPT.owners;
  const held = from === 'any' ? 'the share\'s entries keep their own owners' : `the share's entries are owned by ${from}`;
  return `it makes everything written to it owned by ${to}, while ${held}`;
}

/** The refusal's message (the error adds the share id): what the destination cannot keep, and what to do. */
export function describeMetadataRefusal(destinationHost: string, refused: readonly MetadataLoss[]): string {
  return (
    `The share cannot be migrated to ${destinationHost} with preserve_metadata=True: the destination would lose ` +
    `${refused.map((loss) => `${loss.kind} (${loss.why})`).join(', ')}. ` +
    'Choose a pool that keeps them, or start the migration with preserve_metadata=False to accept the loss.'
  );
}
