const P10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const digits = new Uint8Array(16);

/**
 * Writes `String(x)` into `B` at `p` as ASCII and returns the new end, or -1 when `x` is not
 * one it is sure of (then the caller writes String(x)). Sure means: |x| is 0 or in [1e-6, 1e15)
 * and equals m / 10^f for an integer m below 10^15. The least such f gives the fewest digits that
 * read back as x, which is what String(x) prints; below 10^15 that m is the only one.
 */
export function putShortNumber(B: Uint8Array, p: number, x: number): number {
  if (x === 0) {
    B[p] = 48;
    return p + 1;
  }
  const a = x < 0 ? -x : x;
  if (!(a >= 1e-6 && a < 1e15)) return -1;
  // No m / 10^f below 10^(f + e) can equal a number of 10^e or more: start there.
  let f0 = 0;
  if (a < 1) for (let t = a * 10; t < 1 && f0 < 6; t *= 10) f0++;
  for (let f = f0; f < 16; f++) {
    const m = Math.round(a * P10[f]!);
    if (m >= 1e15) return -1;
    if (m / P10[f]! !== a) continue;
    // Digits, last first, in int32 arithmetic: m below 10^15 is two parts below 10^8.
    let n = 0;
    let hi = Math.floor(m / 1e8);
    let lo = (m - hi * 1e8) | 0;
    if (hi === 0) {
      for (let v = lo; v > 0; ) {
        const q = (v / 10) | 0;
        digits[n++] = 48 + v - q * 10;
        v = q;
      }
    } else {
      for (let i = 0; i < 8; i++) {
        const q = (lo / 10) | 0;
        digits[n++] = 48 + lo - q * 10;
        lo = q;
      }
      for (let v = hi | 0; v > 0; ) {
        const q = (v / 10) | 0;
        digits[n++] = 48 + v - q * 10;
        v = q;
      }
    }
    if (x < 0) B[p++] = 45;
    if (f >= n) {
      // 0.000ddd
      B[p++] = 48;
      B[p++] = 46;
      for (let z = f - n; z > 0; z--) B[p++] = 48;
      for (let i = n - 1; i >= 0; i--) B[p++] = digits[i]!;
      return p;
    }
    for (let i = n - 1; i >= 0; i--) {
      B[p++] = digits[i]!;
      if (i === f && f > 0) B[p++] = 46;
    }
    return p;
  }
  return -1;
}
