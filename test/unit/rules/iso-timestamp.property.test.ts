import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimestampByPattern, parseIsoTimestamp } from '../../../shared/rules/time.js';

// Texts near the fixed form: digits, separators and their look-alikes at every position, Unicode digits too.
const ch = fc.constantFrom('0', '1', '2', '3', '4', '5', '9', '-', ':', 'T', ' ', 'Z', '/', '.', '\u0660', 'a', '+');
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const valid = fc
  .record({ y: fc.integer({ min: 0, max: 9999 }), mo: fc.integer({ min: 0, max: 13 }), d: fc.integer({ min: 0, max: 32 }), h: fc.integer({ min: 0, max: 25 }), mi: fc.integer({ min: 0, max: 60 }), s: fc.integer({ min: 0, max: 60 }), sep: fc.constantFrom('T', ' '), z: fc.constantFrom('', 'Z') })
  .map((p) => `${pad(p.y, 4)}-${pad(p.mo, 2)}-${pad(p.d, 2)}${p.sep}${pad(p.h, 2)}:${pad(p.mi, 2)}:${pad(p.s, 2)}${p.z}`);
const mutated = fc.tuple(valid, fc.nat(19), ch).map(([t, i, c]) => t.slice(0, i) + c + t.slice(i + 1));

describe('ISO timestamps in the fixed form', () => {
  it('read as the pattern reads them, for valid, out-of-range and mutated texts', () => {
    fc.assert(
      fc.property(fc.oneof(valid, mutated, fc.array(ch, { minLength: 18, maxLength: 21 }).map((a) => a.join(''))), (t) => {
        expect(Object.is(parseIsoTimestamp(t), isoTimestampByPattern(t))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('agree with Date.parse, which shares no code with either, for valid UTC texts', () => {
    fc.assert(
      fc.property(valid, (t) => {
        const got = parseIsoTimestamp(t);
        // Date.parse knows only years 0000-9999 in this form and reads a zone-less time as local: give it the Z.
        const iso = `${t.slice(0, 10)}T${t.slice(11, 19)}Z`;
        if (!Number.isNaN(got) && t.slice(11, 13) !== '24') expect(got).toBe(Date.parse(iso));
      }),
      { numRuns: 5_000 },
    );
    expect(parseIsoTimestamp('2023-01-01T00:00:00Z')).toBe(1_672_531_200_000);
    expect(parseIsoTimestamp('2024-02-29 23:59:59')).toBe(1_709_251_199_000);
    expect(parseIsoTimestamp('2023-02-29T00:00:00Z')).toBeNaN();
    expect(parseIsoTimestamp('2023-01-01T24:00:00Z')).toBe(1_672_617_600_000);
    expect(parseIsoTimestamp('2023-01-01T24:00:01Z')).toBeNaN();
  });
});
