import { describe, expect, it } from 'vitest';
import { quoteValue, truncate } from '../../lambdas/api/quote.ts';

describe('Function: quoteValue', () => {
  it("prints JSON values as Python's str() does", () => {
    // Assess
    expect([null, true, false, 3, 'text', ['a', 1], { k: 'v' }].map((v) => quoteValue(v))).toEqual(['None', 'True', 'False', '3', 'text', '["a",1]', '{"k":"v"}']);
  });

  it('quotes a value nested 100,000 deep without recursion, cut at the limit', () => {
    // Prepare
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];

    // Act
    const quoted = quoteValue(deep, 20);

    // Assess
    expect(quoted).toBe(`${'['.repeat(20)}...`);
  });

  it('cuts long strings, wide arrays and long keys at the limit', () => {
    // Assess
    expect(quoteValue('x'.repeat(1_000_000), 10)).toBe('xxxxxxxxxx...');
    expect(quoteValue(Array.from({ length: 100_000 }, (_, i) => i), 12)).toBe('[0,1,2,3,4,5...');
    expect(quoteValue({ ['k'.repeat(1_000)]: 1 }, 8)).toBe('{"kkkkkk...');
  });
});

describe('Function: truncate', () => {
  it('never cuts a surrogate pair in half', () => {
    // Assess
    expect(truncate('a😀b', 2)).toBe('a...');
    expect(truncate('short', 10)).toBe('short');
  });
});
