import { describe, expect, it } from 'vitest';
import { HLL_BITS, hashString, hllAdd, hllEstimate, hllMerge, hllNew } from '../../../shared/report/hll.js';

/** 4096 registers: `fill` everywhere, then the given index → rank entries. */
function registers(fill: number, set: Record<number, number> = {}): Uint8Array {
  const r = new Uint8Array(4096).fill(fill);
  for (const [i, rank] of Object.entries(set)) r[Number(i)] = rank;
  return r;
}

describe('hashString', () => {
  it('gives 32-bit FNV-1a with the murmur3 finalizer', () => {
    const cases: [string, number][] = [
      ['', 2872998923],
      ['a', 444641715],
      ['abc', 482950588],
      ['US-Ha1', 2960077358],
      ['é', 3136788073],
    ];
    expect(cases.map(([s]) => [s, hashString(s)])).toEqual(cases);
  });
});

describe('HyperLogLog registers', () => {
  it('has 4096 empty registers', () => {
    expect(HLL_BITS).toBe(12);
    expect(hllNew()).toEqual(new Uint8Array(4096));
  });

  it('picks the register from the top 12 bits and ranks the rest by its leading zeros', () => {
    const cases: [hash: number, index: number, rank: number][] = [
      [0x00000000, 0, 21],
      [0xffffffff, 4095, 1],
      [0x00100000, 1, 21],
      [0x00080000, 0, 1],
      [0x00040000, 0, 2],
      [0x00000800, 0, 9],
      [0x00000001, 0, 20],
      [0xfff00001, 4095, 20],
      [0x80000000, 2048, 21],
    ];
    for (const [hash, index, rank] of cases) {
      const r = hllNew();
      hllAdd(r, hash);
      expect({ hash, set: [...r.entries()].filter(([, v]) => v !== 0) }).toEqual({ hash, set: [[index, rank]] });
    }
  });

  it('keeps the highest rank a register has seen', () => {
    const r = hllNew();
    hllAdd(r, 0x00040000); // register 0, rank 2
    hllAdd(r, 0x00080000); // register 0, rank 1
    expect(r[0]).toBe(2);
    hllAdd(r, 0x00020000); // register 0, rank 3
    expect(r[0]).toBe(3);
    hllAdd(r, 0x00040000);
    expect(r[0]).toBe(3);
  });

  it('merges register by register, taking the larger, into a new array', () => {
    const a = registers(0, { 0: 3, 1: 1, 4095: 7 });
    const b = registers(0, { 0: 2, 1: 4, 2: 5 });
    const merged = hllMerge(a, b);
    expect([...merged.entries()].filter(([, v]) => v !== 0)).toEqual([[0, 3], [1, 4], [2, 5], [4095, 7]]);
    expect(a[1]).toBe(1);
    expect(b[0]).toBe(2);
  });
});

describe('hllEstimate', () => {
  it('counts by linear counting while registers are empty and the raw estimate is small', () => {
    expect(hllEstimate(registers(0))).toBe(0);
    expect(hllEstimate(registers(0, { 7: 1 }))).toBe(1);
    expect(hllEstimate(registers(0, Object.fromEntries(Array.from({ length: 100 }, (_, i) => [i, 1]))))).toBe(101);
    expect(hllEstimate(registers(0, Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [i * 4, 3]))))).toBe(1146);
    expect(hllEstimate(registers(20, Object.fromEntries(Array.from({ length: 2048 }, (_, i) => [i, 0]))))).toBe(2839);
  });

  it('uses the raw estimate once no register is empty, or once it passes 2.5 × 4096', () => {
    expect(hllEstimate(registers(1))).toBe(5907);
    expect(hllEstimate(registers(5))).toBe(94517);
    expect(hllEstimate(registers(20, { 0: 0 }))).toBe(12051156);
  });

  it('estimates 10,000 distinct strings within 3%, however often each repeats', () => {
    const r = hllNew();
    for (let k = 0; k < 3; k++) for (let i = 0; i < 10_000; i++) hllAdd(r, hashString(`site-${i}`));
    expect(Math.abs(hllEstimate(r) - 10_000)).toBeLessThan(300);
  });
});
