import fc from 'fast-check';
import { snappyUncompress } from 'hyparquet/src/snappy.js';
import { describe, expect, it } from 'vitest';
import { snappyCompress } from '../../../shared/formats/snappy.js';

/** hyparquet's decompressor, which shares no code with ours, gives the input back. */
function roundTrip(input: Uint8Array): Uint8Array {
  const compressed = snappyCompress(input);
  const output = new Uint8Array(input.length);
  snappyUncompress(compressed, output);
  return output;
}

// Repetitive text (long matches, copies over 64 bytes), random bytes (literals), and runs.
const piece = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom('ORD-00000001,', '2023-01-01T00:00:00Z', 'delivered', ',,,,', '\0\0\0\0\0\0\0\0').map((s) => new Uint8Array(Buffer.from(s))),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 5000 })).map(([b, n]) => new Uint8Array(n).fill(b)),
);

describe('snappy compression', () => {
  it('round-trips through an independent decompressor, across 64 KiB fragments', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 400 }), (pieces) => {
        const input = new Uint8Array(Buffer.concat(pieces));
        expect(Buffer.from(roundTrip(input)).equals(Buffer.from(input))).toBe(true);
        expect(snappyCompress(input).length).toBeLessThanOrEqual(32 + input.length + Math.floor(input.length / 6));
      }),
      { numRuns: 500 },
    );
  });

  it('writes the format literally: a varint length, then literal and copy elements', () => {
    // 3 bytes: a literal only (tag (3-1)<<2 = 8).
    expect([...snappyCompress(new Uint8Array([1, 2, 3]))]).toEqual([3, 8, 1, 2, 3]);
    // 100 zero bytes: one literal byte, then copies at offset 1 (64 bytes as 2-byte-offset copy, 35 as another).
    const zeros = snappyCompress(new Uint8Array(100));
    expect(zeros[0]).toBe(100);
    expect(zeros.length).toBeLessThan(12);
    // 200,000 bytes span four fragments: the length varint is 3 bytes (0xc0 0x9a 0x0c).
    const big = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
    expect([...snappyCompress(big).subarray(0, 3)]).toEqual([0xc0, 0x9a, 0x0c]);
    expect(Buffer.from(roundTrip(big)).equals(Buffer.from(big))).toBe(true);
  });
});
