import { compilePattern, tokenize, utcWall, zonedWall, type WallClock } from './time-format.js';

/** The times ISO 8601 text can hold without an extended year: 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. */
export const TIME_MIN = -62_167_219_200_000;
export const TIME_MAX = 253_402_300_799_999;

/** Parses a date/time string to epoch milliseconds (UTC), or NaN; `why`, when there, says why a text is NaN. */
export type TimeParser = ((text: string) => number) & { why?: (text: string) => string };

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
export const daysIn = (y: number, m: number) => (m === 2 && isLeap(y) ? 29 : DAYS[m - 1]!);

type Part = 'YYYY' | 'MM' | 'DD' | 'HH' | 'mm' | 'ss';

/** A fixed-width pattern's layout: each token's position and width, and the literal characters between them. */
export interface FixedLayout {
  readonly width: number;
  readonly fields: readonly { readonly part: Part; readonly at: number; readonly width: number }[];
  readonly literals: readonly { readonly at: number; readonly code: number }[];
}

const FIXED = new Set(['Y4', 'M2', 'D2', 'H2', 'm2', 's2']);

/** Whether a pattern is fixed-width: only YYYY MM DD HH mm ss and single literal characters (read by position). */
export function isFixedPattern(pattern: string): boolean {
  try {
    return tokenize(pattern).every((t) => (t.kind === 'num' ? t.min === t.max && FIXED.has(`${t.part}${t.min}`) : t.kind === 'text' && t.text.length === 1)) && !pattern.includes('[');
  } catch {
    return false;
  }
}

/** The layout of a pattern of YYYY MM DD HH mm ss and literal characters; throws on one without YYYY. */
export function fixedLayout(pattern: string): FixedLayout {
  const fields: { part: Part; at: number; width: number }[] = [];
  const literals: { at: number; code: number }[] = [];
  let at = 0;
  for (let i = 0; i < pattern.length; ) {
    const token = (['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss'] as const).find((t) => pattern.startsWith(t, i));
    if (token) {
      fields.push({ part: token, at, width: token.length });
      at += token.length;
      i += token.length;
    } else {
      literals.push({ at, code: pattern.charCodeAt(i) });
      at++;
      i++;
    }
  }
  if (!fields.some((f) => f.part === 'YYYY')) throw new Error(`format "${pattern}" has no YYYY`);
  return { width: at, fields, literals };
}

/**
 * Compiles a fixed-width pattern such as "YYYYMMDDHHmm" or "DD/MM/YYYY HH:mm" into a parser
 * that reads digits by position (no Date parsing on the hot path). Throws on an unusable pattern.
 */
export function compileTimeFormat(pattern: string | undefined, kind: 'date' | 'timestamp', timeZone?: string): TimeParser {
  const wall = timeZone === undefined ? undefined : zonedWall(timeZone);
  if (pattern === undefined || pattern === 'iso') return kind === 'date' ? parseIsoDate : wall ? isoIn(wall) : parseIsoTimestamp;
  if (pattern === 'excel') return parseExcelSerial;
  if (wall || !isFixedPattern(pattern)) return compilePattern(pattern, wall ?? utcWall);
  const { width, fields, literals } = fixedLayout(pattern);
  const find = (part: Part) => fields.find((f) => f.part === part);
  const digitsAt = (f: { at: number; width: number } | undefined, text: string, fallback: number): number => {
    if (!f) return fallback;
    let n = 0;
    for (let i = f.at; i < f.at + f.width; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return -1;
      n = n * 10 + c;
    }
    return n;
  };
  const [y, mo, d, h, mi, se] = (['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss'] as const).map(find);
  // Read by position; the token parser, which reads the same pattern the same way, says why a text is not one.
  const parser: TimeParser = (text: string) => {
    if (text.length !== width) return NaN;
    for (let i = 0; i < literals.length; i++) if (text.charCodeAt(literals[i]!.at) !== literals[i]!.code) return NaN;
    const parts = [digitsAt(y, text, 0), digitsAt(mo, text, 1), digitsAt(d, text, 1), digitsAt(h, text, 0), digitsAt(mi, text, 0), digitsAt(se, text, 0)] as const;
    if (parts[0] < 0 || parts[1] < 0 || parts[2] < 0 || parts[3] < 0 || parts[4] < 0 || parts[5] < 0) return NaN;
    return fromParts(...parts);
  };
  parser.why = compilePattern(pattern, utcWall).why;
  return parser;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil), without Date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const pad2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const pad3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let lastDay = NaN;
let lastDayText = '';

/** `new Date(ms).toISOString()` at a fraction of the cost: rows in a file share days, so the date part is cached. */
export function formatIso(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  if (day !== lastDay) {
    lastDay = day;
    lastDayText = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  let rest = ms - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${lastDayText}${pad2[h]}:${pad2[m]}:${pad2[s]}.${pad3[rest - s * 1000]}Z`;
}

function fromParts(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 24 || mi > 59 || s > 59) return NaN;
  if (h === 24 && (mi !== 0 || s !== 0)) return NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseIsoDate(text: string): number {
  const m = ISO_DATE.exec(text);
  return m ? fromParts(+m[1]!, +m[2]!, +m[3]!, 0, 0, 0) : NaN;
}

/** ISO 8601 timestamp; without a zone it is read as UTC, never as the machine's local time. */
export function parseIsoTimestamp(text: string): number {
  const fast = fixedIsoTimestamp(text);
  return fast === undefined ? isoTimestampByPattern(text) : fast;
}

// The day of the last fixed-form timestamp read: rows of a file mostly share their day.
let cachedDayKey = -1;
let cachedDayMs = NaN;

/**
 * `YYYY-MM-DDTHH:MM:SS` with `T` or a space and an optional `Z`, the shape of most exports, read
 * from its character codes with the day cached; undefined for any other text (the pattern reads
 * it). A property test holds it against the pattern.
 */
function fixedIsoTimestamp(t: string): number | undefined {
  const n = t.length;
  if (n !== 19 && !(n === 20 && t.charCodeAt(19) === 90)) return undefined;
  const sep = t.charCodeAt(10);
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || (sep !== 84 && sep !== 32) || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined;
  const d0 = t.charCodeAt(0) - 48, d1 = t.charCodeAt(1) - 48, d2 = t.charCodeAt(2) - 48, d3 = t.charCodeAt(3) - 48;
  const d5 = t.charCodeAt(5) - 48, d6 = t.charCodeAt(6) - 48, d8 = t.charCodeAt(8) - 48, d9 = t.charCodeAt(9) - 48;
  const h0 = t.charCodeAt(11) - 48, h1 = t.charCodeAt(12) - 48, m0 = t.charCodeAt(14) - 48, m1 = t.charCodeAt(15) - 48;
  const s0 = t.charCodeAt(17) - 48, s1 = t.charCodeAt(18) - 48;
  // A code outside 0-9 is above 9 unsigned.
  if (
    d0 >>> 0 > 9 || d1 >>> 0 > 9 || d2 >>> 0 > 9 || d3 >>> 0 > 9 ||
    d5 >>> 0 > 9 || d6 >>> 0 > 9 || d8 >>> 0 > 9 || d9 >>> 0 > 9 ||
    h0 >>> 0 > 9 || h1 >>> 0 > 9 || m0 >>> 0 > 9 || m1 >>> 0 > 9 ||
    s0 >>> 0 > 9 || s1 >>> 0 > 9
  )
    return undefined;
  const key = d0 * 10_000_000 + d1 * 1_000_000 + d2 * 100_000 + d3 * 10_000 + d5 * 1000 + d6 * 100 + d8 * 10 + d9;
  if (key !== cachedDayKey) {
    cachedDayMs = fromParts(d0 * 1000 + d1 * 100 + d2 * 10 + d3, d5 * 10 + d6, d8 * 10 + d9, 0, 0, 0);
    cachedDayKey = key;
  }
  const h = h0 * 10 + h1, mi = m0 * 10 + m1, sec = s0 * 10 + s1;
  if (h > 24 || mi > 59 || sec > 59 || (h === 24 && (mi !== 0 || sec !== 0))) return NaN;
  return cachedDayMs + h * 3_600_000 + mi * 60_000 + sec * 1000;
}

/** Exported for the property test of the fixed form; the engine calls parseIsoTimestamp. */
export function isoTimestampByPattern(text: string): number {
  const m = ISO_TS.exec(text);
  if (!m) return NaN;
  const base = fromParts(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0);
  if (Number.isNaN(base)) return NaN;
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  let zone = 0;
  const z = m[8];
  if (z && z !== 'Z') {
    const sign = z[0] === '-' ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    zone = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return base + ms - zone;
}

/** ISO 8601 where a time without an offset is a wall time of `wall`'s zone. */
function isoIn(wall: WallClock): TimeParser {
  const parser: TimeParser = (text) => {
    const m = ISO_TS.exec(text);
    if (!m) return NaN;
    if (m[8]) return parseIsoTimestamp(text);
    if (Number.isNaN(fromParts(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0))) return NaN;
    const r = wall(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0);
    return typeof r === 'number' ? r : NaN;
  };
  parser.why = (text) => {
    const m = ISO_TS.exec(text);
    if (!m || m[8]) return '';
    const r = wall(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, 0);
    return typeof r === 'string' ? r : '';
  };
  return parser;
}

/**
 * A spreadsheet's serial day number (days since 1899-12-30, the fraction the time of day), as
 * Excel stores dates. Serial 60 is Excel's 1900-02-29, a day that never was; below it, days
 * count from 1899-12-31.
 */
export function parseExcelSerial(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) return NaN;
  const serial = Number(text);
  // [60, 61) is Excel's 1900-02-29, a day that never was; 2958465 is 9999-12-31.
  if ((serial >= 60 && serial < 61) || serial < 1 || serial >= 2_958_466) return NaN;
  const days = serial < 60 ? serial - 25568 : serial - 25569;
  return Math.round(days * 86_400_000);
}

/** Parses "30m", "1h", "1d" into milliseconds. */
export function parseInterval(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) return NaN;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
