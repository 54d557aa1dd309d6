import { daysFromCivil, daysIn } from './time.js';

/**
 * Date and time patterns with the tokens people know from dayjs and moment:
 * YYYY, M, MM, MMM, D, DD, H, HH, h, hh, A, m, mm, s, ss, SSS, Z, ZZ, and literal text in
 * [brackets]. Any other character is itself. Parsing is strict: the whole text must match.
 */

/** A parsed time: epoch ms (NaN when not a time), and `why` tells the reason for a NaN. */
export interface PatternParser {
  (text: string): number;
  why(text: string): string;
}

type Token =
  | { readonly kind: 'num'; readonly part: 'Y' | 'M' | 'D' | 'H' | 'h' | 'm' | 's' | 'S'; readonly min: number; readonly max: number }
  | { readonly kind: 'month-name' }
  | { readonly kind: 'ampm' }
  | { readonly kind: 'zone'; readonly colon: boolean }
  | { readonly kind: 'text'; readonly text: string };

const TOKENS: readonly [string, Token][] = [
  ['YYYY', { kind: 'num', part: 'Y', min: 4, max: 4 }],
  ['MMM', { kind: 'month-name' }],
  ['MM', { kind: 'num', part: 'M', min: 2, max: 2 }],
  ['M', { kind: 'num', part: 'M', min: 1, max: 2 }],
  ['DD', { kind: 'num', part: 'D', min: 2, max: 2 }],
  ['D', { kind: 'num', part: 'D', min: 1, max: 2 }],
  ['HH', { kind: 'num', part: 'H', min: 2, max: 2 }],
  ['H', { kind: 'num', part: 'H', min: 1, max: 2 }],
  ['hh', { kind: 'num', part: 'h', min: 2, max: 2 }],
  ['h', { kind: 'num', part: 'h', min: 1, max: 2 }],
  ['mm', { kind: 'num', part: 'm', min: 2, max: 2 }],
  ['m', { kind: 'num', part: 'm', min: 1, max: 2 }],
  ['ss', { kind: 'num', part: 's', min: 2, max: 2 }],
  ['s', { kind: 'num', part: 's', min: 1, max: 2 }],
  ['SSS', { kind: 'num', part: 'S', min: 3, max: 3 }],
  ['A', { kind: 'ampm' }],
  ['ZZ', { kind: 'zone', colon: false }],
  ['Z', { kind: 'zone', colon: true }],
];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The tokens of a pattern; throws with the reason when it cannot be a date pattern. */
export function tokenize(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; ) {
    if (pattern[i] === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) throw new Error(`format "${pattern}": "[" at ${i + 1} is never closed`);
      out.push({ kind: 'text', text: pattern.slice(i + 1, close) });
      i = close + 1;
      continue;
    }
    const hit = TOKENS.find(([t]) => pattern.startsWith(t, i));
    if (hit) {
      out.push(hit[1]);
      i += hit[0].length;
    } else {
      out.push({ kind: 'text', text: pattern[i]! });
      i++;
    }
  }
  const parts = new Set(out.flatMap((t) => (t.kind === 'num' ? [t.part] : t.kind === 'month-name' ? ['M'] : [])));
  if (!parts.has('Y')) throw new Error(`format "${pattern}" has no YYYY`);
  if (parts.has('h') !== out.some((t) => t.kind === 'ampm')) throw new Error(`format "${pattern}": h and hh need A (AM/PM), and A needs h or hh; H and HH are 24-hour`);
  if (parts.has('H') && parts.has('h')) throw new Error(`format "${pattern}" has both a 24-hour (H) and a 12-hour (h) hour`);
  return out;
}

/** A local wall time to epoch ms: UTC, or a zone's (see zonedTime). */
export type WallClock = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number) => number | string;

/**
 * Compiles a pattern into a strict parser. `wall` turns a local time without an offset into
 * epoch ms (or the reason it is none, such as a DST gap); an offset in the text wins over it.
 */
export function compilePattern(pattern: string, wall: WallClock): PatternParser {
  const tokens = tokenize(pattern);
  const parse = (text: string): number | string => {
    let i = 0;
    let y = 0;
    let mo = 1;
    let d = 1;
    let h = 0;
    let mi = 0;
    let s = 0;
    let ms = 0;
    let pm: boolean | undefined;
    let offset: number | undefined;
    for (const t of tokens) {
      switch (t.kind) {
        case 'text':
          if (!text.startsWith(t.text, i)) return `expected "${t.text}" at character ${i + 1}`;
          i += t.text.length;
          break;
        case 'month-name': {
          const k = MONTHS.indexOf(text.slice(i, i + 3).toLowerCase());
          if (k === -1) return `expected a month name (Jan…Dec) at character ${i + 1}`;
          mo = k + 1;
          i += 3;
          break;
        }
        case 'ampm': {
          const a = text.slice(i, i + 2).toUpperCase();
          if (a !== 'AM' && a !== 'PM') return `expected AM or PM at character ${i + 1}`;
          pm = a === 'PM';
          i += 2;
          break;
        }
        case 'zone': {
          if (text[i] === 'Z') {
            offset = 0;
            i++;
            break;
          }
          const m = (t.colon ? /^([+-])(\d{2}):(\d{2})/ : /^([+-])(\d{2})(\d{2})/).exec(text.slice(i));
          if (!m) return `expected an offset (${t.colon ? '+HH:mm' : '+HHmm'} or Z) at character ${i + 1}`;
          offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
          i += m[0].length;
          break;
        }
        case 'num': {
          let n = 0;
          let k = 0;
          for (; k < t.max && i + k < text.length; k++) {
            const c = text.charCodeAt(i + k) - 48;
            if (c < 0 || c > 9) break;
            n = n * 10 + c;
          }
          if (k < t.min) return `expected ${t.min === t.max ? t.min : `${t.min} or ${t.max}`} digit(s) at character ${i + 1}`;
          i += k;
          if (t.part === 'Y') y = n;
          else if (t.part === 'M') mo = n;
          else if (t.part === 'D') d = n;
          else if (t.part === 'H' || t.part === 'h') h = n;
          else if (t.part === 'm') mi = n;
          else if (t.part === 's') s = n;
          else ms = n;
        }
      }
    }
    if (i !== text.length) return `unexpected "${text.slice(i, i + 10)}" at character ${i + 1}`;
    if (pm !== undefined) {
      if (h < 1 || h > 12) return `hour ${h} is not a 12-hour hour (1–12)`;
      h = (h % 12) + (pm ? 12 : 0);
    }
    if (mo < 1 || mo > 12) return `month ${mo} does not exist`;
    if (d < 1 || d > daysIn(y, mo)) return `day ${d} does not exist in ${y}-${String(mo).padStart(2, '0')}`;
    if (h > 24 || mi > 59 || s > 59 || (h === 24 && (mi !== 0 || s !== 0 || ms !== 0))) return `${h}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')} is not a time of day`;
    if (offset !== undefined) return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms - offset;
    return wall(y, mo, d, h, mi, s, ms);
  };
  const parser = ((text: string) => {
    const r = parse(text);
    return typeof r === 'number' ? r : NaN;
  }) as PatternParser;
  parser.why = (text) => {
    const r = parse(text);
    return typeof r === 'string' ? r : '';
  };
  return parser;
}

/** Wall times read as UTC. */
export const utcWall = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number => daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms;

/**
 * Wall times read in an IANA time zone. A time that does not exist there (the hour skipped when
 * clocks go forward) is no time, with that reason; a time that exists twice (the hour repeated when
 * clocks go back) is its first occurrence. Offsets come from Intl, cached per hour of UTC.
 */
export function zonedWall(timeZone: string): WallClock {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw new Error(`"${timeZone}" is not an IANA time zone (such as "Europe/Berlin")`);
  }
  /** The zone's offset from UTC (ms) at instant `t`, from Intl (to the second). */
  const exact = (t: number): number => {
    const second = Math.floor(t / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(second))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return utcWall(p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!, 0) - second;
  };
  // Per hour of UTC: its offset when the hour starts and ends with the same one; NaN for an hour
  // with a change in it (zones change on the half hour too), which is then asked to the second.
  const cache = new Map<number, number>();
  const offsetAt = (t: number): number => {
    const hour = Math.floor(t / 3_600_000);
    let o = cache.get(hour);
    if (o === undefined) {
      const first = exact(hour * 3_600_000);
      o = first === exact(hour * 3_600_000 + 3_599_000) ? first : NaN;
      if (cache.size > 100_000) cache.clear();
      cache.set(hour, o);
    }
    return Number.isNaN(o) ? exact(t) : o;
  };
  return (y, mo, d, h, mi, s, ms) => {
    const local = utcWall(y, mo, d, h, mi, s, ms);
    // The two offsets around that local time; each candidate is kept if it reads back as the local time.
    const candidates = [local - offsetAt(local - 86_400_000), local - offsetAt(local + 86_400_000)].sort((a, b) => a - b);
    const fits = candidates.filter((t) => t + offsetAt(t) === local);
    if (fits.length === 0) {
      const stamp = `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')} ${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}`;
      return `${stamp} does not exist in ${timeZone} (the clocks skip it: a DST gap)`;
    }
    return fits[0]!;
  };
}
