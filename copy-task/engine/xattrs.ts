import { LEAVE_OUT_ACLS, LEAVE_OUT_XATTRS } from '../native/index.ts';
import type { Platform } from './platform.ts';
import type { Xattrs } from './types.ts';

const ACL_PREFIX = 'system.posix_acl_';

/** An attribute's kind, as a run may leave it out: LEAVE_OUT_ACLS for a POSIX ACL, LEAVE_OUT_XATTRS for any other (as the addon tells them apart). */
export function kindOfXattr(name: string): number {
  return name.startsWith(ACL_PREFIX) ? LEAVE_OUT_ACLS : LEAVE_OUT_XATTRS;
}

/** `xattrs` less the kinds in `leaveOut` (undefined when none is left), and the kinds it took any out of. */
export function leaveOutXattrs(xattrs: Xattrs | undefined, leaveOut: number): { readonly kept: Xattrs | undefined; readonly left: number } {
  if (!xattrs || leaveOut === 0) return { kept: xattrs, left: 0 };
  let left = 0;
  const kept = xattrs.filter(([name]) => {
    const kind = kindOfXattr(name);
    if ((kind & leaveOut) === 0) return true;
    left |= kind;
    return false;
  });
  return { kept: kept.length > 0 ? kept : undefined, left };
}

/**
 * Extended attributes: compared by name and exact value bytes, and written so that the destination
 * ends with exactly the source's set (attributes it inherited, such as an ACL from a folder's default
 * ACL, are removed).
 */
export function sameXattrs(a: Xattrs | undefined, b: Xattrs | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every(([name, value], i) => {
    const other = right[i];
    return other !== undefined && other[0] === name && other[1].equals(value);
  });
}

/** Names that differ between two sets (missing, extra or another value), for messages. */
export function xattrDifference(wanted: Xattrs | undefined, actual: Xattrs | undefined): string[] {
  const have = new Map(actual ?? []);
  const want = new Map(wanted ?? []);
  const names = new Set([...want.keys(), ...have.keys()]);
  const differs = (name: string): boolean => {
    const [w, h] = [want.get(name), have.get(name)];
    return !(w && h && w.equals(h));
  };
  return [...names].filter(differs).map(printable);
}

/**
 * Makes the entry's attributes exactly `wanted`, leaving alone those of the kinds in `leaveOut` (the
 * destination refuses them: see left-out-metadata.ts). Returns how many were set or removed.
 */
export function writeXattrs(platform: Platform, abs: Buffer, wanted: Xattrs | undefined, leaveOut = 0): number {
  if (platform.nativeProblem !== undefined) return 0;
  const current = new Map(leaveOutXattrs(platform.readXattrs(abs), leaveOut).kept ?? []);
  const target = new Map(wanted ?? []);
  let changes = 0;
  for (const name of current.keys()) {
    if (target.has(name)) continue;
    attempt('remove', name, () => platform.removeXattr(abs, name));
    changes += 1;
  }
  for (const [name, value] of target) {
    if (current.get(name)?.equals(value)) continue;
    attempt('set', name, () => platform.setXattr(abs, name, value));
    changes += 1;
  }
  return changes;
}

function attempt(verb: string, name: string, work: () => void): void {
  try {
    work();
  } catch (error) {
    if (error instanceof Error) error.message = `cannot ${verb} extended attribute ${printable(name)}: ${error.message}`;
    throw error;
  }
}

function printable(name: string): string {
  return Buffer.from(name, 'latin1').toString('utf8');
}

const ACL_ACCESS = 'system.posix_acl_access';
const ACL_HEADER = 4;
const ACL_ENTRY = 8;
const ACL_USER_OBJ = 0x01;
const ACL_GROUP_OBJ = 0x04;
const ACL_MASK = 0x10;
const ACL_OTHER = 0x20;

/**
 * The attributes with the access ACL made to agree with `mode`. An access ACL carries the owner,
 * group-class (the mask, or the owning group without one) and other permissions that chmod keeps in
 * step with the mode; when the mode to copy is not the one the source shows (CopyOptions.sourceModes,
 * a source whose read-only mode stripped write bits), its ACL must follow that mode too.
 */
export function withAclMode(xattrs: Xattrs | undefined, mode: number): Xattrs | undefined {
  const index = xattrs?.findIndex(([name]) => name === ACL_ACCESS) ?? -1;
  if (!xattrs || index < 0) return xattrs;
  const acl = Buffer.from((xattrs[index] as readonly [string, Buffer])[1]);
  if (acl.length < ACL_HEADER || (acl.length - ACL_HEADER) % ACL_ENTRY !== 0) return xattrs;
  const tags = (offset: number) => acl.readUInt16LE(offset);
  let hasMask = false;
  for (let at = ACL_HEADER; at < acl.length; at += ACL_ENTRY) if (tags(at) === ACL_MASK) hasMask = true;
  for (let at = ACL_HEADER; at < acl.length; at += ACL_ENTRY) {
    const tag = tags(at);
    if (tag === ACL_USER_OBJ) acl.writeUInt16LE((mode >> 6) & 7, at + 2);
    else if (tag === ACL_OTHER) acl.writeUInt16LE(mode & 7, at + 2);
    else if (tag === (hasMask ? ACL_MASK : ACL_GROUP_OBJ)) acl.writeUInt16LE((mode >> 3) & 7, at + 2);
  }
  return xattrs.map((pair, i) => (i === index ? ([ACL_ACCESS, acl] as const) : pair));
}
