import type { Column } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { compileTimeFormat, parseIsoDate, parseIsoTimestamp } from './time.js';

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

const BOOLEANS: Record<string, boolean> = { true: true, false: false, TRUE: true, FALSE: false, True: true, False: false, '1': true, '0': false };

/** Compiles the checks of one column once; the returned function runs per row. */
export function compileColumn(name: string, column: Column, nullValues: ReadonlySet<string>, path: string): ColumnCheck {
  const { type, required } = column;
  const fail = (failures: Failure[], rule: string, raw: string, message: string): null => {
    failures.push({ column: name, rule, value: raw, message });
    return null;
  };

  let parseTime: ((t: string) => number) | undefined;
  if (type === 'date' || type === 'timestamp') {
    try {
      parseTime = compileTimeFormat(column.format, type);
    } catch (e) {
      throw new ConfigError(`${path}.format`, (e as Error).message);
    }
  }
  const bound = (v: number | string | undefined, key: 'min' | 'max'): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'number') return v;
    const ms = type === 'date' ? parseIsoDate(v) : parseIsoTimestamp(v);
    if (Number.isNaN(ms)) throw new ConfigError(`${path}.${key}`, `"${v}" is not an ISO ${type === 'date' ? 'date' : 'timestamp'}`);
    return ms;
  };
  const min = type === 'string' || type === 'enum' ? undefined : bound(column.min, 'min');
  const max = type === 'string' || type === 'enum' ? undefined : bound(column.max, 'max');
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

  return (raw, failures) => {
    if (raw === undefined || nullValues.has(raw)) {
      if (required) failures.push({ column: name, rule: 'required', value: raw ?? '', message: 'is required' });
      return null;
    }
    switch (type) {
      case 'string':
      case 'enum':
        return checkString(raw, failures);
      case 'integer': {
        const n = Number(raw);
        if (!Number.isSafeInteger(n) || !looksDecimal(raw) || /[.eE]/.test(raw)) return fail(failures, 'type', raw, `"${raw}" is not an integer`);
        return checkNumber(n, raw, failures);
      }
      case 'number': {
        const n = Number(raw);
        if (!Number.isFinite(n) || !looksDecimal(raw)) return fail(failures, 'type', raw, `"${raw}" is not a number`);
        return checkNumber(n, raw, failures);
      }
      case 'boolean': {
        const b = BOOLEANS[raw];
        return b === undefined ? fail(failures, 'type', raw, `"${raw}" is not a boolean`) : b;
      }
      case 'date':
      case 'timestamp': {
        const ms = parseTime!(raw);
        if (Number.isNaN(ms)) return fail(failures, 'type', raw, `"${raw}" is not a ${type}${column.format ? ` in format ${column.format}` : ''}`);
        return checkNumber(ms, raw, failures);
      }
    }
  };
}

/** Number() also takes " 5", "0x1f" and "0b1"; a data file means none of those. */
function looksDecimal(raw: string): boolean {
  const first = raw.charCodeAt(0);
  const last = raw.charCodeAt(raw.length - 1);
  if (first <= 32 || last <= 32) return false;
  const second = raw.charCodeAt(1) | 32;
  return !(first === 48 && (second === 120 || second === 98 || second === 111));
}
