import { describe, expect, it } from 'vitest';
import { ModeTable } from '../../lambdas/drivers/local/mode-table.ts';
import { modeKey } from '../../lambdas/drivers/local/read-only.ts';

describe('Class: ModeTable', () => {
  describe('Method: add', () => {
    it('keeps the first mode of a path and answers lookups by latin1 key, as a Map would', () => {
      // Prepare
      const table = new ModeTable();
      const odd = Buffer.from([0x61, 0xff, 0x00, 0x62]);

      // Act
      const added = [table.add(Buffer.from('a/b'), 0o640), table.add(Buffer.from('a/b'), 0o600), table.add(odd, 0o4755), table.add(Buffer.alloc(0), 0o755)];

      // Assess
      expect(added).toEqual([true, false, true, true]);
      expect(table.size).toBe(3);
      expect(table.get('a/b')).toBe(0o640);
      expect(table.get(modeKey(odd))).toBe(0o4755);
      expect(table.get('')).toBe(0o755);
      expect(table.has('a')).toBe(false);
      expect(table.get('a/\u0100')).toBeUndefined();
      expect([...table]).toEqual([
        ['a/b', 0o640],
        [modeKey(odd), 0o4755],
        ['', 0o755],
      ]);
    });

    it('holds many paths through its growth and packs them in the addon layout without copying', () => {
      // Prepare
      const table = new ModeTable();
      const paths = Array.from({ length: 20_000 }, (_, i) => `folder-${i % 97}/file-${i}`);

      // Act
      for (const [i, rel] of paths.entries()) table.add(Buffer.from(rel), i & 0o777);
      const packed = table.packed();

      // Assess
      expect(table.size).toBe(paths.length);
      for (const [i, rel] of paths.entries()) expect(table.get(rel)).toBe(i & 0o777);
      expect(packed.readUInt32LE(0)).toBe(paths[0]!.length);
      expect(packed.toString('latin1', 4, 4 + paths[0]!.length)).toBe(paths[0]);
      expect(packed.readUInt32LE(4 + paths[0]!.length)).toBe(0);
      expect(packed.length).toBe(paths.reduce((sum, rel) => sum + rel.length + 8, 0));
      expect(table.packed().buffer).toBe(packed.buffer);
    });
  });
});
