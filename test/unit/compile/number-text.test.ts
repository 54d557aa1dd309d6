import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { putShortNumber } from '../../../shared/compile/number-text.js';

/** What the writer prints: putShortNumber's bytes, or String(x) where it declines. */
function printed(x: number): { text: string; declined: boolean } {
  const B = new Uint8Array(64);
  const end = putShortNumber(B, 3, x);
  if (end === -1) return { text: String(x), declined: true };
  return { text: Buffer.from(B.subarray(3, end)).toString('latin1'), declined: false };
}

describe('putShortNumber', () => {
  it('prints literal cases as String does', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [1, '1'],
      [-1, '-1'],
      [0.1, '0.1'],
      [-2.5, '-2.5'],
      [0.305 * 0.02162, String(0.305 * 0.02162)],
      [0.0065941, '0.0065941'],
      [0.000001, '0.000001'],
      [123456789012345, '123456789012345'],
      [1991, '1991'],
      [2147483647, '2147483647'],
      [-2147483647, '-2147483647'],
      [-2147483648, '-2147483648'],
      [2147483648, '2147483648'],
      [1e9, '1000000000'],
      [999999999, '999999999'],
      [100000000, '100000000'],
      [1.5e8, '150000000'],
      [10000000.5, '10000000.5'],
      [0.00012, '0.00012'],
      [100, '100'],
      [10.5, '10.5'],
      [0.01, '0.01'],
      // 15 significant digits, above and below 1
      [0.123456789012345, '0.123456789012345'],
      [0.0000123456789012345, '0.0000123456789012345'],
      [12345.6789012345, '12345.6789012345'],
    ];
    for (const [x, want] of cases) expect(printed(x).text, String(x)).toBe(want);
  });

  it('declines what it cannot be sure of', () => {
    for (const x of [0.1 + 0.2, 1e-7, 1e15, 1e21, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 2 ** 53]) {
      expect(printed(x).declined, String(x)).toBe(true);
    }
  });

  it('equals String(x) on products of decimals, random doubles and integers', () => {
    const decimal = fc.tuple(fc.integer({ min: -99999999, max: 99999999 }), fc.integer({ min: 0, max: 9 })).map(([m, f]) => m / 10 ** f);
    const doubles = fc.oneof(
      fc.tuple(decimal, decimal).map(([a, b]) => a * b),
      decimal,
      fc.double({ noNaN: false }),
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
      fc.double({ min: 1e-7, max: 1e-5 }),
    );
    fc.assert(
      fc.property(doubles, (x) => {
        expect(printed(x).text).toBe(String(x));
      }),
      { numRuns: 20000 },
    );
  });

  it('takes most products of a 3-decimal reading and a constant', () => {
    let taken = 0;
    for (let i = -5000; i < 5000; i++) if (!printed((i / 1000) * 0.02162).declined) taken++;
    expect(taken).toBeGreaterThan(5000);
  });
});
