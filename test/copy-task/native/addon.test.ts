import { execFileSync } from 'node:child_process';
import { lstat, mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative, nativeStatus, type NativeFs } from '../../../copy-task/native/index.ts';
import { useTempDirs } from '../helpers.ts';

/**
 * The native addon must be built (npm ci does it): without it the engine still runs, but loses
 * nanosecond times, xattrs, ACLs, FIFOs, device nodes and holes. This test is what notices.
 */
function addon(): NativeFs {
  if (!nativeStatus.loaded) throw new Error(`the copy engine's native addon is not loaded, so copies are not faithful: ${nativeStatus.reason}`);
  return nativeStatus.fs;
}

describe('Module: copy-task/native', () => {
  const tempDir = useTempDirs();

  it('is built and loaded', () => {
    // Assess
    expect(nativeStatus).toMatchObject({ loaded: true });
  });

  it('can be turned off, and then says why it is not in use', () => {
    // Act
    const status = loadNative({ SMIG_NATIVE: 'off' });

    // Assess
    expect(status).toEqual({ loaded: false, reason: 'turned off by SMIG_NATIVE=off' });
  });

  describe('Method: utimens', () => {
    it('sets times to the nanosecond, on a link itself when asked', async () => {
      // Prepare
      const dir = await tempDir();
      await writeFile(join(dir, 'f'), 'f');
      await symlink('f', join(dir, 'l'));
      const ns = 1_600_000_000_123_456_789n;

      // Act
      addon().utimens(Buffer.from(join(dir, 'f')), ns + 1n, ns, false);
      addon().utimens(Buffer.from(join(dir, 'l')), ns - 7n, ns - 1_000_000_001n, true);

      // Assess
      const file = await lstat(join(dir, 'f'), { bigint: true });
      const link = await lstat(join(dir, 'l'), { bigint: true });
      expect([file.atimeNs, file.mtimeNs]).toEqual([ns + 1n, ns]);
      expect([link.atimeNs, link.mtimeNs]).toEqual([ns - 7n, ns - 1_000_000_001n]);
    });

    it('takes times before 1970', async () => {
      // Prepare
      const dir = await tempDir();
      await writeFile(join(dir, 'old'), 'o');

      // Act
      addon().utimens(Buffer.from(join(dir, 'old')), -1_500_000_001n, -1n, false);

      // Assess
      expect((await lstat(join(dir, 'old'), { bigint: true })).mtimeNs).toBe(-1n);
    });
  });

  describe('Method: readXattrs', () => {
    it('reads back names and exact values, binary and empty ones too, without following links', async () => {
      // Prepare
      const dir = await tempDir();
      const path = Buffer.from(join(dir, 'f'));
      await writeFile(path, 'f');
      await symlink('f', join(dir, 'l'));
      addon().setXattr(path, Buffer.from('user.a'), Buffer.from([0, 255, 0]));
      addon().setXattr(path, Buffer.from('user.empty'), Buffer.alloc(0));

      // Act
      const flat = addon().readXattrs(path);
      const viaLink = addon().readXattrs(Buffer.from(join(dir, 'l')));
      addon().removeXattr(path, Buffer.from('user.a'));
      addon().removeXattr(path, Buffer.from('user.never-there'));

      // Assess
      const pairs = new Map<string, string>();
      for (let i = 0; i < flat.length; i += 2) pairs.set(String(flat[i]), (flat[i + 1] as Buffer).toString('hex'));
      expect(pairs).toEqual(new Map([['user.a', '00ff00'], ['user.empty', '']]));
      expect(viaLink).toEqual([]);
      expect(addon().readXattrs(path).map(String)).toEqual(['user.empty', '']);
    });

    it('throws errors shaped like Node\'s: code, errno, syscall and path', () => {
      // Act
      const error = (() => {
        try {
          addon().readXattrs(Buffer.from('/nonexistent/smig'));
        } catch (e) {
          return e;
        }
        return undefined;
      })();

      // Assess
      expect(error).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'llistxattr', path: '/nonexistent/smig' });
      expect((error as Error).message).toBe("ENOENT: no such file or directory, llistxattr '/nonexistent/smig'");
    });
  });

  describe('Method: mknod', () => {
    it('creates a FIFO', async () => {
      // Prepare
      const dir = await tempDir();

      // Act
      addon().mknod(Buffer.from(join(dir, 'fifo')), 0o010000 | 0o600, 0n);

      // Assess
      expect((await lstat(join(dir, 'fifo'))).isFIFO()).toBe(true);
    });
  });

  describe('Methods: seekData and seekHole', () => {
    it('find the data ranges of a sparse file', async () => {
      // Prepare: data at 0 and at 1 MiB in a 3 MiB file
      const dir = await tempDir();
      const handle = await open(join(dir, 'sparse'), 'w');
      await handle.write(Buffer.alloc(4096, 1), 0, 4096, 0);
      await handle.write(Buffer.alloc(4096, 2), 0, 4096, 1024 * 1024);
      await handle.truncate(3 * 1024 * 1024);
      await handle.sync();

      // Act
      const ranges: [number, number][] = [];
      for (let at = 0; ; ) {
        const start = addon().seekData(handle.fd, at);
        if (start < 0) break;
        const end = addon().seekHole(handle.fd, start);
        ranges.push([start, end]);
        at = end;
      }
      await handle.close();

      // Assess
      expect(ranges).toEqual([[0, 4096], [1024 * 1024, 1024 * 1024 + 4096]]);
    });
  });

  // Not in the sanitizer run (SMIG_NATIVE_ADDON names the sanitized build there): the build it checks is
  // the regular one, which the main suite checks, and its compilers would run over the preloaded ASan.
  // A compile from scratch on a loaded 2-core machine can pass a minute: 5 minutes.
  it.skipIf(process.env['SMIG_NATIVE_ADDON'] !== undefined)('builds from scratch with the build script, offline', { timeout: 300_000 }, async () => {
    // Prepare: a copy of the sources, so the addon in use is left alone
    const dir = await tempDir();
    const native = join(import.meta.dirname, '../../../copy-task/native');
    await mkdir(join(dir, 'native'));
    execFileSync('cp', ['-r', join(native, 'binding.gyp'), join(native, 'build.mjs'), join(native, 'src'), join(dir, 'native')]);

    // Act
    const output = execFileSync(process.execPath, [join(dir, 'native/build.mjs'), '--strict'], { encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' } });

    // Assess
    expect(output).toContain('smig-copy native addon: built');
    expect((await lstat(join(dir, 'native/build/Release/smig_native.node'))).isFile()).toBe(true);
  });
});
