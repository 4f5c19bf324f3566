import type { MigrationCompatibility } from '../../drivers/driver.ts';
import type { MigrationOptions } from '../model.ts';

export const GUARANTEES = ['writable', 'preserve_metadata', 'nondisruptive', 'preserve_snapshots'] as const;
export type Guarantee = (typeof GUARANTEES)[number];

/**
 * What the host-assisted path here guarantees, and why not where it does not. Unlike Manila's, it keeps
 * the share writable until switchover, carries metadata (modes, owners, times), verified, and carries
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
