/**
 * What code compiled from CEL calls at run time. Values: int and double are JS numbers (an int
 * is always a safe integer), bool, string, a timestamp is epoch milliseconds (an integer Date
 * accepts), null is null.
 *
 * Bail contract: wherever the compiled code could give something other than the interpreter
 * (cel-js) — an int result beyond 2^53, a division by zero, a null or a value of the wrong type
 * reaching an operator, a subject a regex reads differently — it calls `bail()`, which throws the
 * one preallocated {@link CEL_BAIL}. Nothing else is ever thrown by compiled code. The caller
 * catches it around the whole row and evaluates that row with the interpreter, which gives the
 * exact value or error.
 */

/** The class of {@link CEL_BAIL}; never constructed again. */
export class CelBail extends Error {
  constructor() {
    super('compiled CEL bailed: evaluate this row with the interpreter');
    this.name = 'CelBail';
  }
}

/** The one object compiled CEL throws; compare with `===`. Preallocated so a bail costs no stack capture. */
export const CEL_BAIL: CelBail = new CelBail();

const MAX = Number.MAX_SAFE_INTEGER;
const DAY_MS = 86_400_000;
// cel-js's timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z.
const MIN_TIMESTAMP_MS = -62_135_596_800_000;
const MAX_TIMESTAMP_MS = 253_402_300_799_999;
const INT_TEXT = /^[-+]?\d{1,15}$/;
const DOUBLE_TEXT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?$/;

function bail(): never {
  throw CEL_BAIL;
}

/** A non-null value, or a bail (a null where an operator needs a value is an error in CEL). */
function nn<T>(v: T | null): T {
  return v === null ? bail() : v;
}

/** An int result of `+ - *`: exact only while it is a safe integer (int64 overflow lies far beyond). `+ 0` turns -0 into 0. */
function int(r: number): number {
  return r <= MAX && r >= -MAX ? r + 0 : bail();
}

/** CEL int division truncates toward zero; for safe integers trunc(a / b) is exact. */
function idiv(a: number, b: number): number {
  return b === 0 ? bail() : Math.trunc(a / b) + 0;
}

function imod(a: number, b: number): number {
  return b === 0 ? bail() : (a % b) + 0;
}

function intOfDouble(v: number): number {
  const t = Math.trunc(v);
  return t <= MAX && t >= -MAX ? t + 0 : bail();
}

/** int(string) for plain decimal text of up to 15 digits; anything else (hex, `0b`, spaces, "") is the interpreter's. */
function intOfString(s: string): number {
  return INT_TEXT.test(s) ? Number(s) + 0 : bail();
}

/** double(string) for plain decimal text; "inf", "NaN", hex and out-of-range text are the interpreter's. */
function doubleOfString(s: string): number {
  if (!DOUBLE_TEXT.test(s)) return bail();
  const v = Number(s);
  return Number.isFinite(v) ? v : bail();
}

function stringOfDouble(v: number): string {
  return v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : `${v}`;
}

function boolOfString(s: string): boolean {
  switch (s) {
    case '1': case 't': case 'true': case 'TRUE': case 'True':
      return true;
    case '0': case 'f': case 'false': case 'FALSE': case 'False':
      return false;
    default:
      return bail();
  }
}

/** Code points, as CEL counts: a surrogate pair is one, a lone surrogate is one. */
function size(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** cel-js lowers all of Unicode where CEL lowers ASCII only: the two agree on ASCII text. */
function lowerAscii(s: string): string {
  return isAscii(s) ? s.toLowerCase() : bail();
}

function upperAscii(s: string): string {
  return isAscii(s) ? s.toUpperCase() : bail();
}

function inList(list: readonly unknown[], v: unknown): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === v) return true;
  return false;
}

function bothNull(a: unknown, b: unknown): boolean {
  return a === null && b === null;
}

/** `regex.test(s)` unless `s` holds a character on which RE2 and JS read the pattern differently. */
function matchGuarded(regex: RegExp, guard: RegExp, s: string): boolean {
  return guard.test(s) ? bail() : regex.test(s);
}

function timestampOfInt(seconds: number): number {
  const ms = seconds * 1000;
  return ms <= MAX_TIMESTAMP_MS && ms >= MIN_TIMESTAMP_MS ? ms : bail();
}

/**
 * The UTC civil date of a day number (days since 1970-01-01) as (year + 300000) * 512 + month0 * 32 + day,
 * by H. Hinnant's days_from_civil inverse: proleptic Gregorian like Date, no allocation.
 */
function civil(days: number): number {
  // Rows come in time order more often than not: most calls ask for the day just asked for.
  if (days === lastDays) return lastCivil;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month0 = mp < 10 ? mp + 2 : mp - 10;
  const year = yoe + era * 400 + (month0 <= 1 ? 1 : 0);
  lastDays = days;
  lastCivil = (year + 300_000) * 512 + month0 * 32 + day;
  return lastCivil;
}
let lastDays = Number.NaN;
let lastCivil = 0;

const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
const msOfDay = (ms: number): number => ms - dayOf(ms) * DAY_MS;

/** The helpers compiled CEL calls, reached through one identifier (see compileCelToJs). */
export const celRuntime = Object.freeze({
  bail,
  nn,
  int,
  idiv,
  imod,
  intOfDouble,
  intOfString,
  doubleOfString,
  stringOfDouble,
  boolOfString,
  size,
  lowerAscii,
  upperAscii,
  inList,
  bothNull,
  matchGuarded,
  timestampOfInt,
  year: (ms: number): number => Math.floor(civil(dayOf(ms)) / 512) - 300_000,
  month: (ms: number): number => Math.floor(civil(dayOf(ms)) / 32) % 16,
  date: (ms: number): number => civil(dayOf(ms)) % 32,
  dayOfMonth: (ms: number): number => (civil(dayOf(ms)) % 32) - 1,
  dayOfWeek: (ms: number): number => (((dayOf(ms) + 4) % 7) + 7) % 7,
  hours: (ms: number): number => Math.floor(msOfDay(ms) / 3_600_000),
  minutes: (ms: number): number => Math.floor(msOfDay(ms) / 60_000) % 60,
  seconds: (ms: number): number => Math.floor(msOfDay(ms) / 1000) % 60,
  milliseconds: (ms: number): number => msOfDay(ms) % 1000,
});

/** The type of {@link celRuntime}. */
export type CelRuntime = typeof celRuntime;

/** cel-js's bounds on a timestamp, in epoch ms. */
export const TIMESTAMP_RANGE_MS = Object.freeze({ min: MIN_TIMESTAMP_MS, max: MAX_TIMESTAMP_MS });
