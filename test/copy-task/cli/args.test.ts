import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../../copy-task/cli/args.ts';
import { CopyUsageError } from '../../../copy-task/runtime/exit-codes.ts';

describe('Function: parseCliArgs', () => {
  it('defaults to a verified mirror, threads left to the engine, paths made absolute', () => {
    // Act
    const command = parseCliArgs(['src', '/abs/dst'], '/work', { HOME: '/home/op' });

    // Assess
    expect(command).toEqual({
      kind: 'run', source: '/work/src', destination: '/abs/dst', verify: true, checksum: false, concurrency: undefined,
      mode: 'mirror', pass: 'bulk', bytesPerSecond: undefined, writeBack: undefined, json: undefined,
      stateFolder: '/home/op/.local/state/smig-copy', preserveMetadata: true,
    });
  });

  it('reads every option', () => {
    // Act
    const command = parseCliArgs([
      '--no-verify', '--checksum', '--concurrency', '3', '--no-delete', '--json', '--pass', 'final', '--bwlimit', '2M', '--durable', '--no-preserve-metadata', '/a', '/b',
    ]);

    // Assess
    expect(command).toMatchObject({
      verify: false, checksum: true, concurrency: 3, mode: 'merge', json: true, pass: 'final', bytesPerSecond: 2 * 1024 * 1024, writeBack: 'pass', preserveMetadata: false,
    });
    expect(parseCliArgs(['--no-durable', '/a', '/b'])).toMatchObject({ writeBack: 'deferred' });
  });

  it('reads where copies are read back from: storage, the page cache, or (not given) the pass\'s default', () => {
    // Act / Assess
    expect(parseCliArgs(['--verify-from-storage', '/a', '/b'])).toMatchObject({ verify: true, verifyFrom: 'storage' });
    expect(parseCliArgs(['--no-verify-from-storage', '--pass', 'final', '/a', '/b'])).toMatchObject({ verifyFrom: 'cache' });
    expect(parseCliArgs(['--pass', 'final', '/a', '/b'])).toMatchObject({ verifyFrom: undefined });
  });

  it('remembers passes where it is told, where the environment says, or nowhere', () => {
    // Act / Assess
    expect(parseCliArgs(['--state-dir', 'state', '/a', '/b'], '/work', {})).toMatchObject({ stateFolder: '/work/state' });
    expect(parseCliArgs(['/a', '/b'], '/work', { SMIG_STATE_DIR: '/var/lib/smig', HOME: '/home/op' })).toMatchObject({ stateFolder: '/var/lib/smig' });
    expect(parseCliArgs(['/a', '/b'], '/work', { XDG_STATE_HOME: '/xdg', HOME: '/home/op' })).toMatchObject({ stateFolder: '/xdg/smig-copy' });
    expect(parseCliArgs(['--no-state', '/a', '/b'], '/work', { HOME: '/home/op' })).toMatchObject({ stateFolder: undefined });
    expect(parseCliArgs(['/a', '/b'], '/work', {})).toMatchObject({ stateFolder: undefined });
  });

  it('answers --help', () => {
    // Act / Assess
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-h', 'ignored'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['/only-one'], /expected SRC and DST/],
    [['/a', '/b', '/c'], /expected SRC and DST/],
    [['--concurrency', '0', '/a', '/b'], /--concurrency must be an integer/],
    [['--concurrency', 'many', '/a', '/b'], /--concurrency must be an integer/],
    [['--pass', 'middle', '/a', '/b'], /--pass must be bulk or final/],
    [['--bwlimit', 'fast', '/a', '/b'], /--bwlimit must be a rate/],
    [['--frobnicate', '/a', '/b'], /Unknown option/],
  ])('rejects %j as a usage error', (argv, message) => {
    // Act / Assess
    expect(() => parseCliArgs(argv)).toThrow(CopyUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
