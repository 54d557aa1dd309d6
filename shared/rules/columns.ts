import type { Column, ColumnTypeName } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { compileTimeFormat, parseIsoDate, parseIsoTimestamp, TIME_MAX, TIME_MIN, type TimeParser } from './time.js';

/** A typed cell: string, number (also epoch ms for date/timestamp), boolean or null. */
export type Value = string | number | boolean | null;

/** One reason a row failed. */
export interface Failure {
  column?: string;
  rule: string;
  value?: string;
  message: string;
}

/** Converts and checks one raw cell. Pushes failures and returns the typed value (null on failure). */
export type ColumnCheck = (raw: string | undefined, failures: Failure[]) => Value;

// No prototype: a cell reading "constructor" or "toString" is not a boolean.
const BOOLEANS: Record<string, boolean> = Object.assign(Object.create(null) as Record<string, boolean>, {
  true: true, false: false, TRUE: true, FALSE: false, True: true, False: false, '1': true, '0': false,
});

/** The boolean a text spells as the boolean column type reads it (true/false/TRUE/FALSE/True/False/1/0); undefined for any other text. */
export function parseBooleanText(raw: string): boolean | undefined {
  return BOOLEANS[raw];
}

/** The integer a text spells as the integer column type reads it (optional sign, digits, a safe integer); NaN for any other text. */
export function parseIntegerText(raw: string): number {
  const n = Number(raw);
  return Number.isSafeInteger(n) && looksDecimal(raw) && isPlainInteger(raw) ? n : NaN;
}

/** The number a text spells as the number column type reads it (a finite decimal, exponent allowed; no hex, no blanks); NaN for any other text. */
export function parseNumberText(raw: string): number {
  const n = parseSimpleDecimal(raw);
  if (!Number.isNaN(n)) return n;
  const m = Number(raw);
  return Number.isFinite(m) && looksDecimal(raw) ? m : NaN;
}

/** Drops spaces and tabs around a value (`trim: true`). */
export function trimSpaces(raw: string): string {
  let a = 0;
  let b = raw.length;
  while (a < b && (raw.charCodeAt(a) === 32 || raw.charCodeAt(a) === 9)) a++;
  while (b > a && (raw.charCodeAt(b - 1) === 32 || raw.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === raw.length ? raw : raw.slice(a, b);
}

// The symbol and the spaces around it; a sign may come before it.
const CURRENCY_FIRST = /^ *([+-]?) *\p{Sc} *(?=\S)(.*)$/u;
const CURRENCY_LAST = /^(.*?\S) *\p{Sc} *$/u;

/** Whether a column reads numbers in a format of its own (thousands, decimal comma, currency). */
export function hasNumberFormat(column: Column): boolean {
  return column.thousands !== undefined || column.decimal === ',' || column.currency === true;
}

/**
 * The plain decimal text (`-1234.5`) a number written in the column's format spells, or
 * undefined when it does not follow it: one currency symbol first or last, thousands separators
 * only between groups of three digits, the column's decimal mark.
 */
export function numberInFormat(column: Pick<Column, 'thousands' | 'decimal' | 'currency'>): (raw: string) => string | undefined {
  const { thousands, decimal, currency } = column;
  const esc = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const grouped = thousands === undefined ? undefined : new RegExp(`^\\d{1,3}(?:${esc(thousands)}\\d{3})+$`);
  return (raw) => {
    let s = raw;
    if (currency) {
      const first = CURRENCY_FIRST.exec(s);
      const last = first ? undefined : CURRENCY_LAST.exec(s);
      if (first) s = first[1]! + first[2]!;
      else if (last) s = last[1]!;
    }
    let sign = '';
    if (s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43) {
      sign = s[0]!;
      s = s.slice(1);
    }
    const mark = s.indexOf(decimal ?? '.');
    let whole = mark === -1 ? s : s.slice(0, mark);
    const fraction = mark === -1 ? undefined : s.slice(mark + 1);
    if (grouped && whole.includes(thousands!)) {
      if (!grouped.test(whole)) return undefined;
      whole = whole.split(thousands!).join('');
    }
    // What is left of a mark that is not this column's is an error (a "." with decimal ",", say).
    // Digits only: a number written in a format of its own has no exponent.
    if (/[^0-9]/.test(whole) || (fraction !== undefined && !/^[0-9]+$/.test(fraction))) return undefined;
    return fraction === undefined ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
  };
}

/** How a column's number format reads in a reject reason: ' (thousands ",", decimal ",", currency)', or ''. */
function formatNote(column: Column): string {
  const parts = [column.thousands !== undefined ? `thousands "${column.thousands}"` : '', column.decimal === ',' ? 'decimal ","' : '', column.currency ? 'currency' : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Compiles the checks of one column once; the returned function runs per row. */
export function compileColumn(name: string, column: Column, formatNulls: ReadonlySet<string>, path: string): ColumnCheck {
  const check = compileColumnAsIs(name, column, column.nullValues ? new Set(column.nullValues) : formatNulls, path);
  // trim: the value without the spaces around it, for its null test as for the rest.
  return column.trim ? (raw, failures) => check(raw === undefined ? raw : trimSpaces(raw), failures) : check;
}

function compileColumnAsIs(name: string, column: Column, nullValues: ReadonlySet<string>, path: string): ColumnCheck {
  const { type, required } = column;
  const inFormat = hasNumberFormat(column) ? numberInFormat(column) : undefined;
  const note = formatNote(column);
  const fail = (failures: Failure[], rule: string, raw: string, message: string): null => {
    failures.push({ column: name, rule, value: raw, message });
    return null;
  };

  let parseTime: TimeParser | undefined;
  if (type === 'date' || type === 'timestamp') {
    try {
      parseTime = compileTimeFormat(column.format, type, column.timezone);
    } catch (e) {
      throw new ConfigError(`${path}.format`, (e as Error).message);
    }
  }
  const min = type === 'string' || type === 'enum' ? undefined : columnBound(type, column.min, `${path}.min`);
  const max = type === 'string' || type === 'enum' ? undefined : columnBound(type, column.max, `${path}.max`);
  const pattern = column.pattern !== undefined ? new RegExp(`^(?:${column.pattern})$`, 'u') : undefined;
  const length = typeof column.length === 'number' ? { min: column.length, max: column.length } : column.length;
  const values = column.values ? new Set(column.values) : undefined;

  const checkNumber = (n: number, raw: string, failures: Failure[]): Value => {
    if (min !== undefined && n < min) return fail(failures, 'min', raw, `${raw} is below min ${column.min}`);
    if (max !== undefined && n > max) return fail(failures, 'max', raw, `${raw} is above max ${column.max}`);
    return n;
  };
  const checkString = (s: string, failures: Failure[]): Value => {
    if (length && ((length.min !== undefined && s.length < length.min) || (length.max !== undefined && s.length > length.max))) {
      return fail(failures, 'length', s, `length ${s.length} is outside ${length.min ?? 0}..${length.max ?? '∞'}`);
    }
    if (pattern && !pattern.test(s)) return fail(failures, 'pattern', s, `does not match /${column.pattern}/`);
    if (values && !values.has(s)) return fail(failures, 'enum', s, `not one of ${[...values].join(', ')}`);
    return s;
  };

  const markers = [...nullValues];
  const isMarker = markers.length <= 4 ? (raw: string) => {
    // A few === compares beat hashing the string for a Set lookup.
    for (let i = 0; i < markers.length; i++) if (raw === markers[i]) return true;
    return false;
  } : (raw: string) => nullValues.has(raw);
  const isNull = (raw: string | undefined, failures: Failure[]): raw is undefined => {
    if (raw !== undefined && !isMarker(raw)) return false;
    if (required) failures.push({ column: name, rule: 'required', value: raw ?? '', message: 'is required' });
    return true;
  };
  // One closure per type, so the per-row call does no dispatch.
  switch (type) {
    case 'string':
    case 'enum':
      if (!length && !pattern && !values) return (raw, failures) => (isNull(raw, failures) ? null : raw);
      return (raw, failures) => (isNull(raw, failures) ? null : checkString(raw, failures));
    case 'integer':
      return (raw, failures) => {
        if (isNull(raw, failures)) return null;
        const text = inFormat ? inFormat(raw) : raw;
        const n = text === undefined ? NaN : parseIntegerText(text);
        if (Number.isNaN(n)) return fail(failures, 'type', raw, `"${raw}" is not an integer${note}`);
        return checkNumber(n, raw, failures);
      };
    case 'number':
      return (raw, failures) => {
        if (isNull(raw, failures)) return null;
        const text = inFormat ? inFormat(raw) : raw;
        const n = text === undefined ? NaN : parseNumberText(text);
        if (Number.isNaN(n)) return fail(failures, 'type', raw, `"${raw}" is not a number${note}`);
        return checkNumber(n, raw, failures);
      };
    case 'boolean':
      return (raw, failures) => {
        if (isNull(raw, failures)) return null;
        const b = parseBooleanText(raw);
        return b === undefined ? fail(failures, 'type', raw, `"${raw}" is not a boolean`) : b;
      };
    case 'date':
    case 'timestamp':
      return (raw, failures) => {
        if (isNull(raw, failures)) return null;
        const ms = parseTime!(raw);
        if (Number.isNaN(ms)) {
          const why = parseTime!.why?.(raw);
          return fail(failures, 'type', raw, `"${raw}" is not a ${type}${column.format ? ` in format ${column.format}` : ''}${why ? `: ${why}` : ''}`);
        }
        // An offset or 24:00 can carry a time past what ISO text holds; it would be written as "+010000-…".
        if (ms < TIME_MIN || ms > TIME_MAX) return fail(failures, 'type', raw, `"${raw}" falls outside the years 0000–9999 (${type})`);
        return checkNumber(ms, raw, failures);
      };
  }
}

/**
 * A column's `min` or `max` as the checks compare it: a number as written, a string as the epoch
 * ms of an ISO date (date columns) or timestamp (others). Throws a ConfigError at `path` when a
 * string is not one.
 */
export function columnBound(type: ColumnTypeName, value: number | string | undefined, path: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const ms = type === 'date' ? parseIsoDate(value) : parseIsoTimestamp(value);
  if (Number.isNaN(ms)) throw new ConfigError(path, `"${value}" is not an ISO ${type === 'date' ? 'date' : 'timestamp'}`);
  return ms;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses plain decimals ("-12.345") with at most 15 digits; NaN for anything else (the caller
 * falls back to Number). With the mantissa below 2^53 and at most 22 fraction digits, one
 * division is correctly rounded, so the result equals Number(text).
 */
export function parseSimpleDecimal(s: string): number {
  const n = s.length;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      mantissa = mantissa * 10 + c;
      digits++;
      if (dot) fraction++;
    } else if (c === -2 && !dot) dot = true;
    else return NaN;
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = fraction ? mantissa / POW10[fraction]! : mantissa;
  return negative ? -v : v;
}

function isPlainInteger(raw: string): boolean {
  for (let i = raw.charCodeAt(0) === 45 || raw.charCodeAt(0) === 43 ? 1 : 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** True when the text is already a JSON number (so writers can copy it instead of formatting the double). */
export function isJsonNumber(s: string): boolean {
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= n) return false;
  let c = s.charCodeAt(i);
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
  } else return false;
  if (i < n && s.charCodeAt(i) === 46) {
    const start = ++i;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === start) return false;
  }
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    i++;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
    const start = i;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === start) return false;
  }
  return i === n;
}

/** Number() also takes " 5", "0x1f" and "0b1"; a data file means none of those. */
function looksDecimal(raw: string): boolean {
  if (raw.length === 0) return false;
  const first = raw.charCodeAt(0);
  const last = raw.charCodeAt(raw.length - 1);
  if (first <= 32 || last <= 32) return false;
  const second = raw.charCodeAt(1) | 32;
  return !(first === 48 && (second === 120 || second === 98 || second === 111));
}
