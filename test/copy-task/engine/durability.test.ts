import { lstat, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentBoot, WriteBackJournal } from '../../../copy-task/engine/durability.ts';
import { copyTree, nativeStatus } from '../../../copy-task/engine/index.ts';
import { useTempDirs, writeTree } from '../helpers.ts';

const JOURNAL = '.smig-tmp-journal';
const TOKEN = '0123456789abcdef';
const BOOT_A = '11111111-2222-3333-4444-555555555555';
const BOOT_B = '99999999-2222-3333-4444-555555555555';
const rootsOf = (source: string, destination: string) => ({ sourceRoot: Buffer.from(source), destinationRoot: Buffer.from(destination) });

describe('Class: WriteBackJournal', () => {
  const tempDir = useTempDirs();

  /** An empty source and destination root; `dir` is the destination (where journals are). */
  async function roots() {
    const base = await tempDir();
    const source = join(base, 'src');
    const dir = join(base, 'dst');
    await mkdir(source);
    await mkdir(dir);
    return { source, dir };
  }

  async function copied(spec: Record<string, string>) {
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await writeTree(src, spec);
    // Whole seconds, so that corrupt() can put an mtime back exactly through utimes.
    for (const path of Object.keys(spec)) await utimes(join(src, path), new Date('2024-05-01T00:00:00Z'), new Date('2024-05-01T00:00:00Z'));
    await copyTree(src, dst);
    return { src, dst };
  }

  /** Same length, other bytes, the mtime put back: what a crash can leave when data never reached the disk. */
  async function corrupt(path: string): Promise<void> {
    const before = await lstat(path);
    const text = await readFile(path, 'utf8');
    await writeFile(path, 'x'.repeat(text.length));
    await utimes(path, before.atime, before.mtime);
  }

  describe('Method: open', () => {
    it('starts no journal for a run with nothing to write, and leaves none behind after one that wrote', async () => {
      // Prepare
      const { src, dst } = await copied({ 'a.txt': 'a' });

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(summary).toMatchObject({ files: 0, unchanged: 1 });
      expect(await readdir(dst)).toEqual(['a.txt']);
    });

    it.skipIf(!nativeStatus.loaded)('reads the since an unfinished run of an earlier version recorded, and keeps it over its own, adding its token', async () => {
      // Prepare
      const { source, dir } = await roots();
      await writeFile(join(dir, JOURNAL), 'since 1234\n');
      const syncs: string[] = [];

      // Act
      const journal = await WriteBackJournal.open(rootsOf(source, dir), { syncfs: async (path) => void syncs.push(path.toString()), token: TOKEN });
      await journal.begin();
      await journal.checkpoint();

      // Assess
      expect(journal.suspectSinceNs).toBe(1234n);
      expect([...journal.staleTokens]).toEqual(['']);
      const ino = (await lstat(join(dir, JOURNAL), { bigint: true })).ino;
      expect(await readFile(join(dir, JOURNAL), 'utf8')).toBe(`smig-copy journal 2\nino ${ino}\nsince 1234\ntokens * ${TOKEN}\nend\n`);
      await journal.close();
      expect(syncs).toEqual([dir]);
      expect(await readdir(dir)).toEqual([]);
    });

    it('takes a file of the journal\'s name for the share\'s own when it does not name its own inode, and journals under another name', async () => {
      // Prepare: a user's file that says what a journal says, but cannot know the inode its copy got
      const { source, dir } = await roots();
      await writeFile(join(source, JOURNAL), 'user');
      const forged = `smig-copy journal 2\nino 1\nsince 0\ntokens ${'f'.repeat(16)}\nend\n`;
      await writeFile(join(dir, JOURNAL), forged);

      // Act
      const journal = await WriteBackJournal.open(rootsOf(source, dir), { token: TOKEN });
      await journal.begin();

      // Assess
      expect(journal.suspectSinceNs).toBeUndefined();
      expect(journal.staleTokens.size).toBe(0);
      expect(journal.name.toString()).toBe(`${JOURNAL}-1`);
      expect(await readFile(join(dir, JOURNAL), 'utf8')).toBe(forged);
      await journal.close(false);
      expect(await readdir(dir)).toEqual([JOURNAL]);
    });

    it('moves a journal it finds at a name the source root has taken since, keeping what it records', async () => {
      // Prepare: a run killed in another boot left its journal; then a user made a file of that name
      const { source, dir } = await roots();
      const killed = await WriteBackJournal.open(rootsOf(source, dir), { token: 'aaaaaaaaaaaaaaaa', boot: BOOT_A });
      await killed.begin();
      await writeFile(join(source, JOURNAL), 'user');

      // Act
      const journal = await WriteBackJournal.open(rootsOf(source, dir), { token: TOKEN, boot: BOOT_B });

      // Assess
      expect(journal.name.toString()).toBe(`${JOURNAL}-1`);
      expect(await readdir(dir)).toEqual([`${JOURNAL}-1`]);
      expect(journal.suspectSinceNs).toBeGreaterThan(0n);
      expect([...journal.staleTokens]).toEqual(['aaaaaaaaaaaaaaaa']);
    });
  });

  describe('Method: open (which boot left the journal)', () => {
    it('suspects nothing a run killed in this same boot placed: the kernel still has what it wrote', async () => {
      // Prepare
      const { source, dir } = await roots();
      await (await WriteBackJournal.open(rootsOf(source, dir), { token: 'aaaaaaaaaaaaaaaa', boot: BOOT_A })).begin();

      // Act
      const journal = await WriteBackJournal.open(rootsOf(source, dir), { token: TOKEN, boot: BOOT_A });

      // Assess
      expect(journal.suspectSinceNs).toBeUndefined();
      expect(journal.active).toBe(true);
      expect([...journal.staleTokens]).toEqual(['aaaaaaaaaaaaaaaa']);
    });

    it('suspects what was placed since `since` when the machine restarted since (another boot)', async () => {
      // Prepare
      const { source, dir } = await roots();
      await writeFile(join(dir, JOURNAL), `since 1234\nboot ${BOOT_A}\n`);

      // Act
      const journal = await WriteBackJournal.open(rootsOf(source, dir), { token: TOKEN, boot: BOOT_B });

      // Assess
      expect(journal.suspectSinceNs).toBe(1234n);
    });

    it('records the boot it began in and its token, and removes the journal without a write-back when told so', async () => {
      // Prepare
      const { source, dir } = await roots();
      const syncs: string[] = [];
      const journal = await WriteBackJournal.open(rootsOf(source, dir), { syncfs: async (path) => void syncs.push(path.toString()), boot: 'aaaaaaaa-0000-0000-0000-000000000001', token: TOKEN });

      // Act
      await journal.begin();
      const written = await readFile(join(dir, JOURNAL), 'utf8');
      await journal.close(false);

      // Assess
      expect(written).toMatch(new RegExp(`^smig-copy journal 2\\nino \\d+\\nsince \\d+\\nboot aaaaaaaa-0000-0000-0000-000000000001\\ntokens ${TOKEN}\\nend\\n$`));
      expect(syncs).toEqual([]);
      expect(await readdir(dir)).toEqual([]);
    });

    it('keeps the journal, with every token, when told leftovers of the runs it records are still in place', async () => {
      // Prepare
      const { source, dir } = await roots();
      await (await WriteBackJournal.open(rootsOf(source, dir), { token: 'aaaaaaaaaaaaaaaa', boot: BOOT_A })).begin();
      const journal = await WriteBackJournal.open(rootsOf(source, dir), { token: TOKEN, boot: BOOT_A });

      // Act
      await journal.close(false, true);

      // Assess
      expect(await readFile(join(dir, JOURNAL), 'utf8')).toContain(`tokens aaaaaaaaaaaaaaaa ${TOKEN}\n`);
    });
  });

  describe('Method: copyTree over a journal left behind', () => {
    it.skipIf(!nativeStatus.loaded)('compares what the unfinished run placed and copies again what lost its data, then removes the journal', async () => {
      // Prepare
      const { src, dst } = await copied({ 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/c.txt': 'charlie' });
      await corrupt(join(dst, 'sub/b.txt'));
      await writeFile(join(dst, JOURNAL), 'since 0\n');

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(summary).toMatchObject({ files: 1, unchanged: 2 });
      expect(await readFile(join(dst, 'sub/b.txt'), 'utf8')).toBe('bravo');
      expect((await readdir(dst)).sort()).toEqual(['a.txt', 'sub']);
    });

    it.skipIf(!nativeStatus.loaded)('trusts what a run killed in this same boot placed (nothing was lost), and removes its journal', async () => {
      // Prepare
      const { src, dst } = await copied({ 'a.txt': 'alpha', 'sub/b.txt': 'bravo' });
      await corrupt(join(dst, 'sub/b.txt'));
      await writeFile(join(dst, JOURNAL), `since 0\nboot ${currentBoot()}\n`);

      // Act
      const summary = await copyTree(src, dst);

      // Assess: the damage a crash could leave is not looked for; the journal goes
      expect(summary).toMatchObject({ files: 0, unchanged: 2 });
      expect((await readdir(dst)).sort()).toEqual(['a.txt', 'sub']);
    });

    it.each(['pass', 'deferred'] as const)('leaves no journal after a pass that wrote (writeBack %s)', async (writeBack) => {
      // Prepare
      const dir = await tempDir();
      await writeTree(join(dir, 'src'), { 'a.txt': 'alpha', 'sub/b.txt': 'bravo' });

      // Act
      await copyTree(join(dir, 'src'), join(dir, 'dst'), { writeBack });

      // Assess
      expect((await readdir(join(dir, 'dst'))).sort()).toEqual(['a.txt', 'sub']);
    });

    it('trusts size and mtime when no run was cut short (the same damage goes unseen without --checksum)', async () => {
      // Prepare
      const { src, dst } = await copied({ 'a.txt': 'alpha', 'sub/b.txt': 'bravo' });
      await corrupt(join(dst, 'sub/b.txt'));

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(summary).toMatchObject({ files: 0, unchanged: 2 });
    });
  });
});
