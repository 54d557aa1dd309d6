const P10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const digits = new Uint8Array(16);

/**
 * Writes `String(x)` into `B` at `p` as ASCII and returns the new end, or -1 when `x` is not
 * one it is sure of (then the caller writes String(x)). Sure means: |x| is 0 or in [1e-6, 1e15)
 * and equals m / 10^f for an integer m below 10^15. Decimals of at most 15 significant digits
 * name distinct doubles, so that decimal, least f first, is the shortest that reads back as x:
 * what String(x) prints.
 *
 * One test decides: at the largest f that keeps a·10^f below 10^15, round(a·10^f) is within
 * 0.25 of the exact product, so it is the m' = m·10^(f-f0) of any such decimal m / 10^f0, and
 * m' / 10^f (both exact, so correctly rounded) is a exactly when one exists.
 */
export function putShortNumber(B: Uint8Array, p: number, x: number): number {
  if (x === 0) {
    B[p] = 48;
    return p + 1;
  }
  const a = x < 0 ? -x : x;
  // An integer below 2^31 (a year, a count): its digits, with no search for a fraction.
  if (a < 2147483648 && (a | 0) === a) return putDigits(B, x < 0 ? putMinus(B, p) : p, a);
  if (!(a >= 1e-6 && a < 1e15)) return -1;
  // The integer digits of a (0 below 1), then the fraction digits that fill 15 significant ones.
  let e = 0;
  while (e < 15 && a >= P10[e + 1]!) e++;
  let f = 14 - e;
  if (a < 1) {
    // 0.0…0d…: one more for the 0 that is not a significant digit, one per zero after the point.
    f = 15;
    for (let t = a * 10; t < 1 && f < 20; t *= 10) f++;
  }
  let m = Math.round(a * P10[f]!);
  if (m >= 1e15 || m / P10[f]! !== a) return -1;
  // The least f: trailing zeros of m dropped (m is below 2^53, so % and / are exact), eight, four, two, then one at a time.
  while (f >= 8 && m % 1e8 === 0) {
    m /= 1e8;
    f -= 8;
  }
  if (f >= 4 && m % 1e4 === 0) {
    m /= 1e4;
    f -= 4;
  }
  if (f >= 2 && m % 100 === 0) {
    m /= 100;
    f -= 2;
  }
  if (f >= 1 && m % 10 === 0) {
    m /= 10;
    f--;
  }
  // Digits, last first, in int32 arithmetic: m below 10^15 is two parts below 10^8.
  let n = 0;
  const hi = Math.floor(m / 1e8);
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

function putMinus(B: Uint8Array, p: number): number {
  B[p] = 45;
  return p + 1;
}

/** The decimal digits of a positive int32 `v` at `p`; returns the new end. */
function putDigits(B: Uint8Array, p: number, v: number): number {
  const len = v >= 1e9 ? 10 : v >= 1e8 ? 9 : v >= 1e7 ? 8 : v >= 1e6 ? 7 : v >= 1e5 ? 6 : v >= 1e4 ? 5 : v >= 1e3 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
  for (let j = p + len - 1; j >= p; j--) {
    const q = (v / 10) | 0;
    B[j] = 48 + v - q * 10;
    v = q;
  }
  return p + len;
}
