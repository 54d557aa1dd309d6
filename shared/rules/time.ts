/** Parses a date/time string to epoch milliseconds (UTC), or NaN. */
export type TimeParser = (text: string) => number;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number) => (m === 2 && isLeap(y) ? 29 : DAYS[m - 1]!);

const TOKENS = { YYYY: 'year', MM: 'month', DD: 'day', HH: 'hour', mm: 'minute', ss: 'second' } as const;
type Part = keyof typeof TOKENS;

/**
 * Compiles a fixed-width pattern such as "YYYYMMDDHHmm" or "DD/MM/YYYY HH:mm" into a parser
 * that reads digits by position (no Date parsing on the hot path). Throws on an unusable pattern.
 */
export function compileTimeFormat(pattern: string | undefined, kind: 'date' | 'timestamp'): TimeParser {
  if (pattern === undefined) return kind === 'date' ? parseIsoDate : parseIsoTimestamp;
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
  const width = at;
  if (!fields.some((f) => f.part === 'YYYY')) throw new Error(`format "${pattern}" has no YYYY`);
  return (text: string) => {
    if (text.length !== width) return NaN;
    for (const l of literals) if (text.charCodeAt(l.at) !== l.code) return NaN;
    const v = { YYYY: 0, MM: 1, DD: 1, HH: 0, mm: 0, ss: 0 };
    for (const f of fields) {
      let n = 0;
      for (let i = f.at; i < f.at + f.width; i++) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) return NaN;
        n = n * 10 + c;
      }
      v[f.part] = n;
    }
    return fromParts(v.YYYY, v.MM, v.DD, v.HH, v.mm, v.ss);
  };
}

function fromParts(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 24 || mi > 59 || s > 59) return NaN;
  if (h === 24 && (mi !== 0 || s !== 0)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseIsoDate(text: string): number {
  const m = ISO_DATE.exec(text);
  return m ? fromParts(+m[1]!, +m[2]!, +m[3]!, 0, 0, 0) : NaN;
}

/** ISO 8601 timestamp; without a zone it is read as UTC, never as the machine's local time. */
export function parseIsoTimestamp(text: string): number {
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

/** Parses "30m", "1h", "1d" into milliseconds. */
export function parseInterval(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) return NaN;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
