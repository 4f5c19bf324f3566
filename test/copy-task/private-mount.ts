import { spawn, spawnSync } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';

/**
 * File systems the machine does not have at hand, for tests of how the engine reads copies back:
 * mounted in a private mount namespace (unshare, as root) around one child process, so nothing is
 * mounted outside it and the mount goes when the child does.
 *
 * - `ramfs`: refuses O_DIRECT (EINVAL), unlike ext4 and, since Linux 6.6, tmpfs.
 * - `image`: an ext4 image file through a loop device. Its storage is a file the test can write
 *   behind the mounted file system's back, so the page cache and storage can be made to disagree,
 *   as they do on NFS when the server holds other bytes than the client's cache.
 */
export type PrivateMount = { readonly kind: 'ramfs' } | { readonly kind: 'image'; readonly image: string };

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails with what is missing, rather than skipping, when the machine cannot mount privately. */
export function requireMountTools(): void {
  for (const [command, hint] of [
    ['unshare', 'apt-get install util-linux'],
    ['mount', 'apt-get install mount'],
    ['mkfs.ext4', 'apt-get install e2fsprogs'],
  ] as const) {
    const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
    if (found.status !== 0) throw new Error(`${command} is required by the copy-task read-back tests run as root and is not installed: ${hint}`);
  }
}

/** An empty ext4 image file of `mebibytes` MiB at `path`. */
export function makeExt4Image(path: string, mebibytes: number): void {
  const made = spawnSync('sh', ['-c', 'truncate -s "$2"M "$1" && mkfs.ext4 -q -F "$1"', 'sh', path, String(mebibytes)], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`cannot make an ext4 image at ${path}: ${made.stderr}`);
}

/** Runs `command` with `mount` mounted at `mountPoint`, in a mount namespace of its own. */
export function runWithPrivateMount(mount: PrivateMount, mountPoint: string, command: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ChildRun> {
  const mountCommand = mount.kind === 'ramfs' ? 'mount -t ramfs ramfs "$1"' : 'mount -o loop "$2" "$1"';
  const script = `${mountCommand} && shift 2 && exec "$@"`;
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', mountPoint, mount.kind === 'image' ? mount.image : '', ...command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * Changes one byte of a file as storage holds it, behind the page cache of the file system mounted
 * from `image`: the file's data is made durable, its first block found in the image by its bytes
 * (they must be unique there), and the byte at `offset` within it flipped in the image file.
 */
export async function corruptInImage(image: string, file: string, offset = 100): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
  const content = await readFile(file);
  const where = (await readFile(image)).indexOf(content.subarray(0, 4096));
  if (where < 0) throw new Error(`the data of ${file} is not in ${image}`);
  const imageFile = await open(image, 'r+');
  try {
    await imageFile.write(Buffer.from([(content[offset] ?? 0) ^ 0xff]), 0, 1, where + offset);
    await imageFile.datasync();
  } finally {
    await imageFile.close();
  }
}

/** A private mount kept up for several runs (see holdPrivateMount). */
export interface HeldMount {
  /**
   * The mount point as this process reaches it, through the holder's root (`/proc/<holder>/root<mount
   * point>`), to read what runs left there. Only to read: anything that resolves it (realpath, as the copy
   * engine does its roots) follows the link out of the namespace, to the folder under the mount.
   */
  readonly seen: string;
  /** Runs `command` in the namespace (nsenter), where the mount is at its mount point. */
  run(command: readonly string[], env?: NodeJS.ProcessEnv): Promise<ChildRun>;
  /** Ends the holder, and with it the namespace and the mount. */
  release(): Promise<void>;
}

/**
 * Mounts `mount` at `mountPoint` in a mount namespace of its own, held by a sleeping child, for several
 * runs in it; nothing is mounted outside it, and it goes when the holder is released (or dies with the test).
 */
export async function holdPrivateMount(mount: PrivateMount, mountPoint: string): Promise<HeldMount> {
  requireMountTools();
  const mountCommand = mount.kind === 'ramfs' ? 'mount -t ramfs ramfs "$1"' : 'mount -o loop "$2" "$1"';
  // unshare and sh exec in turn, so the holder keeps the pid spawn gave it.
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${mountCommand} && echo mounted && exec sleep 86400`, 'sh', mountPoint, mount.kind === 'image' ? mount.image : ''], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  holder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('mounted')) resolve();
    });
    holder.once('close', (code) => reject(new Error(`cannot mount ${mount.kind} at ${mountPoint} (exit ${String(code)}): ${stderr.trim()}`)));
  });
  const closed = new Promise<void>((resolve) => holder.once('close', () => resolve()));
  return {
    seen: `/proc/${holder.pid}/root${mountPoint}`,
    run: (command, env = {}) => collect(spawn('nsenter', [`--mount=/proc/${holder.pid}/ns/mnt`, '--', ...command], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })),
    release: async () => {
      holder.kill('SIGKILL');
      await closed;
    },
  };
}

function collect(child: ReturnType<typeof spawn>): Promise<ChildRun> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
