import { constants } from 'node:fs';
import { lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { LEAVE_OUT_ACLS, LEAVE_OUT_OWNERS, LEAVE_OUT_XATTRS } from '../native/index.ts';
import { display, keyOf, resolveUnder, tempSibling, uniqueSuffix } from './paths.ts';
import type { Platform } from './platform.ts';
import { codeOf } from './scan.ts';
import type { LeftOutEntries, MetadataLeftOut, Xattrs } from './types.ts';
import { leaveOutXattrs } from './xattrs.ts';

/**
 * Leaving out what the destination refuses, for a run told that metadata need not be preserved
 * (CopyOptions.preserveMetadata false, a migration started with preserve_metadata=False): which kinds of
 * attributes the destination's file system refuses to store, and whether it refuses to give entries away
 * (probeRefusedKinds, once at the start), and the entries the run wrote without theirs (LeftOutMetadata),
 * for the summary. Kinds the destination keeps are copied as ever, and so are data, modes and times. A run
 * told to preserve metadata leaves nothing out: a refused attribute fails its entry (refused-metadata.ts),
 * and so does a refused owner, as root.
 */

/** setxattr's answer on a file system that stores no attributes of that kind (Amazon EFS over NFSv4.1, ramfs). */
const REFUSED = new Set(['ENOTSUP', 'EOPNOTSUPP']);
/**
 * chown's answer where entries cannot be given away: an EFS access point with a POSIX user makes every
 * request as that user, so the server refuses any other owner even to a root client; not root, the
 * kernel does.
 */
const OWNER_REFUSED = 'EPERM';
/** Where the probe's owner is looked for, downwards: nobody's ids, which no file system reserves. */
const PROBE_OWNER_FROM = 65534;
/** Paths the summary names of each kind (it counts them all). */
const EXAMPLES = 5;
/**
 * An access ACL that says no more than mode 0600 (version 2; USER_OBJ rw-, GROUP_OBJ ---, OTHER ---): a
 * file system with ACLs takes it (as the mode alone, storing no ACL), one without refuses it.
 */
const MODE_ONLY_ACL = Buffer.from([2, 0, 0, 0, 0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, 0x04, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * The kinds (LEAVE_OUT_XATTRS, LEAVE_OUT_ACLS, LEAVE_OUT_OWNERS) the destination refuses, found on a temp
 * file in its root: one attribute of each kind set (with the addon, which alone copies them), and the file
 * given to an owner that is neither the process's, the root's, nor the one it was made with. 0 where the
 * root cannot be written yet: what is refused then fails its entry, as when preserving.
 */
export async function probeRefusedKinds(platform: Platform, destinationRoot: Buffer): Promise<number> {
  const probe = tempSibling(resolveUnder(destinationRoot, Buffer.from('probe')), uniqueSuffix());
  let file: FileHandle;
  try {
    file = await open(probe, CREATE, 0o600);
  } catch {
    return 0;
  }
  try {
    const refused = (kind: number, set: () => void): number => {
      try {
        set();
        return 0;
      } catch (error) {
        return REFUSED.has(codeOf(error) ?? '') ? kind : 0;
      }
    };
    const attributes =
      platform.nativeProblem !== undefined
        ? 0
        : refused(LEAVE_OUT_XATTRS, () => platform.setXattr(probe, 'user.smig-probe', Buffer.from('1'))) |
          refused(LEAVE_OUT_ACLS, () => platform.setXattr(probe, 'system.posix_acl_access', MODE_ONLY_ACL));
    return attributes | (await ownersRefused(file, destinationRoot));
  } finally {
    await file.close().catch(() => undefined);
    await unlink(probe).catch(() => undefined);
  }
}

/** LEAVE_OUT_OWNERS when the probe `file` cannot be given to another owner, else 0. */
async function ownersRefused(file: FileHandle, destinationRoot: Buffer): Promise<number> {
  const [made, root] = await Promise.all([file.stat(), lstat(destinationRoot)]);
  // An owner the file could already have, or be given by its owner without privilege, proves nothing.
  const other = (...taken: (number | undefined)[]): number => {
    let id = PROBE_OWNER_FROM;
    while (taken.includes(id)) id -= 1;
    return id;
  };
  try {
    await file.chown(other(process.geteuid?.(), made.uid, root.uid), other(process.getegid?.(), made.gid, root.gid));
    return 0;
  } catch (error) {
    return codeOf(error) === OWNER_REFUSED ? LEAVE_OUT_OWNERS : 0;
  }
}

type Kind = 'xattrs' | 'acls' | 'owners';
const KINDS = [[LEAVE_OUT_XATTRS, 'xattrs'], [LEAVE_OUT_ACLS, 'acls'], [LEAVE_OUT_OWNERS, 'owners']] as const;

/** What one run leaves out, and the entries it wrote without it. */
export class LeftOutMetadata {
  /** The kinds (LEAVE_OUT_*) left out: 0 when metadata is to be preserved, or the destination keeps every kind. */
  readonly kinds: number;
  readonly #counts = { xattrs: 0, acls: 0, owners: 0 };
  readonly #examples: Record<Kind, string[]> = { xattrs: [], acls: [], owners: [] };
  /** Folders counted: their attributes may be set twice in a run (by the walk, then again once something changed in them). */
  readonly #folders = new Set<string>();

  constructor(kinds = 0) {
    this.kinds = kinds & (LEAVE_OUT_XATTRS | LEAVE_OUT_ACLS | LEAVE_OUT_OWNERS);
  }

  /** Whether entries are given their source's owner (and owners compared, as root): not where the destination refuses it. */
  get keepsOwners(): boolean {
    return (this.kinds & LEAVE_OUT_OWNERS) === 0;
  }

  /** A source entry's attributes as the destination is to get and be compared with them, and the kinds taken out. */
  split(xattrs: Xattrs | undefined): { readonly kept: Xattrs | undefined; readonly left: number } {
    return leaveOutXattrs(xattrs, this.kinds);
  }

  /** The entry `rel` was written without its source's attributes or owner of the kinds `left` (0: nothing to note). */
  note(rel: Buffer, left: number | undefined): void {
    if (!left) return;
    const path = display(rel);
    for (const [kind, name] of KINDS) {
      if ((left & kind) === 0) continue;
      this.#counts[name] += 1;
      if (this.#examples[name].length < EXAMPLES) this.#examples[name].push(path);
    }
  }

  /** As note, for a folder: counted once however often its attributes are set. */
  noteFolder(rel: Buffer, left: number | undefined): void {
    if (!left) return;
    const key = keyOf(rel);
    if (this.#folders.has(key)) return;
    this.#folders.add(key);
    this.note(rel, left);
  }

  /** Undefined when nothing was left out. */
  summary(): MetadataLeftOut | undefined {
    if (KINDS.every(([, name]) => this.#counts[name] === 0)) return undefined;
    const of = (name: Kind): LeftOutEntries => ({ entries: this.#counts[name], examples: [...this.#examples[name]] });
    return { xattrs: of('xattrs'), acls: of('acls'), owners: of('owners') };
  }
}

/** A sentence for logs: what was left out, on how many entries, naming the first. */
export function describeLeftOut(left: MetadataLeftOut): string {
  const part = (what: string, entries: LeftOutEntries) => {
    const more = entries.entries > entries.examples.length ? `, and ${entries.entries - entries.examples.length} more` : '';
    return `${what} of ${entries.entries} ${entries.entries === 1 ? 'entry' : 'entries'} (${entries.examples.join(', ')}${more})`;
  };
  const parts = [
    left.acls.entries > 0 ? part('the POSIX ACLs', left.acls) : undefined,
    left.xattrs.entries > 0 ? part('the extended attributes', left.xattrs) : undefined,
    left.owners.entries > 0 ? part('the owners', left.owners) : undefined,
  ].filter((p) => p !== undefined);
  const last = parts.pop();
  const listed = parts.length > 0 ? `${parts.join(', ')} and ${last}` : last;
  return `left out ${listed}: the destination's file system does not keep them, and metadata need not be preserved`;
}
