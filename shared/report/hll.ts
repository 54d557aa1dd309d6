/** HyperLogLog with 2^12 one-byte registers (~1.6% error); merging is a register-wise max. */
export const HLL_BITS = 12;
const M = 1 << HLL_BITS;
/** Registers (bytes) per sketch. */
export const HLL_REGISTERS = M;

/** 32-bit FNV-1a with a final avalanche (murmur3 fmix), enough spread for HLL. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hllAdd(registers: Uint8Array, hash: number): void {
  const index = hash >>> (32 - HLL_BITS);
  const rest = (hash << HLL_BITS) | (1 << (HLL_BITS - 1));
  const rank = Math.clz32(rest) + 1;
  if (rank > registers[index]!) registers[index] = rank;
}

export function hllNew(): Uint8Array {
  return new Uint8Array(M);
}

export function hllMerge(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(M);
  for (let i = 0; i < M; i++) out[i] = Math.max(a[i]!, b[i]!);
  return out;
}

export function hllEstimate(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    sum += 2 ** -registers[i]!;
    if (registers[i] === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / M);
  const raw = (alpha * M * M) / sum;
  if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(raw);
}
