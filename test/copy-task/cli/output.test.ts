import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../copy-task/cli/output.ts';
import type { CopySummary } from '../../../copy-task/engine/index.ts';

const summary: CopySummary = {
  files: 3, bytes: 10, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, fixed: 0, deleted: 0, verified: true, seconds: 0.5,
  unchanged: 0, changed: 0, changedPaths: [], vanished: 0, limitations: [],
  verification: 'storage', readBack: { direct: 2, dropped: 1, cache: 0 },
};

describe('Function: formatSummary', () => {
  it.each<[string, Partial<CopySummary>, string]>([
    ['from storage, each way counted', {}, '; verified from storage (2 with O_DIRECT, 1 after dropping cached pages); '],
    ['from the page cache', { verification: 'cache', readBack: { direct: 0, dropped: 0, cache: 3 } }, '; verified from the page cache; '],
    ['not at all', { verified: false, verification: 'none', readBack: { direct: 0, dropped: 0, cache: 0 } }, '; not verified; '],
  ])('says where the copies were read back from: %s', (_, change, text) => {
    // Act
    const line = formatSummary({ ...summary, ...change });

    // Assess
    expect(line).toContain(text);
  });
});
