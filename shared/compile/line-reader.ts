import type { Column, ColumnTypeName } from '../config/schema.js';
import { columnBound, parseBooleanText, type Value } from '../rules/columns.js';
import { compileTimeFormat, daysFromCivil, daysIn, fixedLayout, type FixedLayout } from '../rules/time.js';

/** A schema column as the line reader reads it: from header field `field` into slot `slot` of the row. */
export interface LineColumn {
  readonly field: number;
  readonly slot: number;
  readonly name: string;
  readonly type: ColumnTypeName;
  readonly column: Column;
}

export interface LineReaderSpec {
  readonly delimiter: string;
  /** Fields a line must have. */
  readonly fields: number;
  readonly columns: readonly LineColumn[];
  /** Header fields kept as strings (`unknownColumns: keep`), by slot. */
  readonly keep: readonly { readonly field: number; readonly slot: number }[];
  readonly nullValues: readonly string[];
}

/**
 * Reads the fields of one unquoted line `T[s, e)` (no line ending) straight into the row's
 * values `W` and, for numbers, their JSON text `R`. True when every field was read and passed
 * its column's checks; false when anything is unusual (a failing check, a number that is not a
 * plain decimal, a field count that is off), and then the general path reads the line and gives
 * the exact values or reasons. So the two paths always agree: this one only takes what it is sure of.
 */
export type LineReader = (T: string, s: number, e: number, W: Value[], R: (string | undefined)[]) => boolean;

/** Decimal digits a plain number may have and still parse exactly by `m / 10^f` (below 2^53). */
const MAX_DIGITS = 15;

/**
 * Generates the line reader of a pipeline bound to a header: one function with the header's
 * field layout, each column's null markers, parser and checks inlined, and no allocation but the
 * values themselves.
 */
export function compileLineReader(spec: LineReaderSpec): LineReader {
  const helpers: Record<string, unknown> = { P10: Array.from({ length: 23 }, (_, i) => 10 ** i), parseBooleanText };
  const markers = spec.nullValues.filter((m) => m !== '');
  const emptyIsNull = spec.nullValues.includes('');
  const markerTest = (a: string, n: string) =>
    [emptyIsNull ? `${n} === 0` : '', ...markers.map((m) => `(${n} === ${m.length} && T.startsWith(${JSON.stringify(m)}, ${a}))`)].filter(Boolean).join(' || ') || 'false';
  const lines: string[] = ['let j = 0;'];
  const D = JSON.stringify(spec.delimiter);
  // Fields in header order: a{f} is the start, b{f} the end. A field only one number column reads is
  // scanned and parsed in one pass; the others are found with indexOf and then read.
  for (let f = 0; f < spec.fields; f++) {
    const last = f === spec.fields - 1;
    const a = f === 0 ? 's' : `b${f - 1} + 1`;
    const readers = spec.columns.filter((c) => c.field === f);
    const only = readers.length === 1 && !spec.keep.some((k) => k.field === f) ? readers[0]! : undefined;
    if (only && (only.type === 'number' || only.type === 'integer')) {
      lines.push(`const a${f} = ${a}; let b${f} = 0;`, numberScanCode(only, spec, markerTest, last));
      continue;
    }
    lines.push(
      last
        ? `const a${f} = ${a}; if (nextDelimiter(T, a${f}) < e) return false; const b${f} = e;`
        : `const a${f} = ${a}; j = T.indexOf(${D}, a${f}); if (j === -1 || j >= e) return false; const b${f} = j;`,
    );
    for (const c of readers) lines.push(columnCode(c, helpers, markerTest));
  }
  for (const k of spec.keep) {
    lines.push(`{ const n = b${k.field} - a${k.field}; W[${k.slot}] = ${markerTest(`a${k.field}`, 'n')} ? null : T.slice(a${k.field}, b${k.field}); R[${k.slot}] = undefined; }`);
  }
  lines.push('return true;');
  // The last field has no delimiter after it: remember where the next one is, or that the block has
  // none, so a file of one column is not scanned to the block's end on every line.
  helpers.nextDelimiter = delimiterFinder(spec.delimiter);
  const names = Object.keys(helpers);
  const body = `"use strict";\nreturn function readLine(T, s, e, W, R) {\n${lines.join('\n')}\n};`;
  return new Function(...names, body)(...names.map((n) => helpers[n])) as LineReader;
}

/** A number field read in the same pass that finds its end: digits as they come, the delimiter right after them. */
function numberScanCode(c: LineColumn, spec: LineReaderSpec, markerTest: (a: string, n: string) => string, last: boolean): string {
  const { field: f, slot: k, column } = c;
  const D = spec.delimiter.charCodeAt(0);
  const a = `a${f}`;
  const min = columnBound(c.type, column.min, '');
  const max = columnBound(c.type, column.max, '');
  const bounds = [min !== undefined ? `v < ${min}` : '', max !== undefined ? `v > ${max}` : ''].filter(Boolean).join(' || ');
  const onNull = column.required ? 'return false;' : `W[${k}] = null; R[${k}] = undefined;`;
  // A marker that is itself a plain number ("-9999") is told apart after the parse, by length first.
  const numeric = spec.nullValues.filter((m) => /^-?(0|[1-9]\d*)(\.\d+)?$/.test(m));
  const numericNull = numeric.map((m) => `(n === ${m.length} && T.startsWith(${JSON.stringify(m)}, ${a}))`).join(' || ');
  const end = last ? `if (nextDelimiter(T, ${a}) < e) return false; j = e;` : `if (j === -1 || j >= e) return false;`;
  return `{ let p = ${a}, neg = false, m = 0, digits = 0, fd = 0, d = p < e ? T.charCodeAt(p) : -1;
if (d === 45) { neg = true; p++; d = p < e ? T.charCodeAt(p) : -1; }
if (d === 48) { p++; digits = 1; }
else if (d >= 49 && d <= 57) { do { m = m * 10 + (d - 48); p++; digits++; } while (p < e && (d = T.charCodeAt(p)) >= 48 && d <= 57); }
${c.type === 'number' ? `if (digits > 0 && p < e && T.charCodeAt(p) === 46) { const q = ++p; while (p < e && (d = T.charCodeAt(p)) >= 48 && d <= 57) { m = m * 10 + (d - 48); p++; } fd = p - q; if (fd === 0) digits = 0; else digits += fd; }` : ''}
if (digits > 0 && (${last ? 'p === e' : `p < e && T.charCodeAt(p) === ${D}`})) {
  if (digits > ${MAX_DIGITS}) return false;
  b${f} = p;
  const n = p - ${a};
  if (${numericNull || 'false'}) { ${onNull} } else {
    let v = fd === 0 ? m : m / P10[fd]; if (neg) v = -v;
    ${bounds ? `if (${bounds}) return false;` : ''}
    W[${k}] = v; R[${k}] = T.slice(${a}, p);
  }
} else {
  // Not a plain number: a null marker, or the general path.
  ${last ? '' : `j = T.indexOf(${JSON.stringify(spec.delimiter)}, ${a}); `}${end}
  b${f} = j;
  const n = j - ${a};
  if (${markerTest(a, 'n')}) { ${onNull} } else return false;
} }`;
}

function columnCode(c: LineColumn, helpers: Record<string, unknown>, markerTest: (a: string, n: string) => string): string {
  const { field: f, slot: k, column } = c;
  const a = `a${f}`;
  const b = `b${f}`;
  const isNull = markerTest(a, 'n');
  const onNull = column.required ? 'return false;' : `W[${k}] = null; R[${k}] = undefined;`;
  let read: string;
  switch (c.type) {
    case 'number':
    case 'integer': {
      const min = columnBound(c.type, column.min, '');
      const max = columnBound(c.type, column.max, '');
      const bounds = [min !== undefined ? `v < ${min}` : '', max !== undefined ? `v > ${max}` : ''].filter(Boolean).join(' || ');
      // -?(0|[1-9]\d*)(\.\d+)? with at most 15 digits: JSON text as it stands, and m / 10^f is Number(text).
      read = `let p = ${a}, neg = false, m = 0, digits = 0, fd = 0, d = T.charCodeAt(p);
if (d === 45) { neg = true; d = T.charCodeAt(++p); }
if (d === 48) { p++; digits = 1; }
else if (d >= 49 && d <= 57) { while (p < ${b} && (d = T.charCodeAt(p) - 48) >= 0 && d <= 9) { m = m * 10 + d; p++; digits++; } }
else return false;
${c.type === 'number' ? `if (p < ${b} && T.charCodeAt(p) === 46) { const q = ++p; while (p < ${b} && (d = T.charCodeAt(p) - 48) >= 0 && d <= 9) { m = m * 10 + d; p++; } fd = p - q; if (fd === 0) return false; digits += fd; }` : ''}
if (p !== ${b} || digits > ${MAX_DIGITS}) return false;
let v = fd === 0 ? m : m / P10[fd]; if (neg) v = -v;
${bounds ? `if (${bounds}) return false;` : ''}
W[${k}] = v; R[${k}] = T.slice(${a}, ${b});`;
      break;
    }
    case 'boolean':
      read = `const v = parseBooleanText(T.slice(${a}, ${b})); if (v === undefined) return false; W[${k}] = v; R[${k}] = undefined;`;
      break;
    case 'date':
    case 'timestamp': {
      const min = columnBound(c.type, column.min, '');
      const max = columnBound(c.type, column.max, '');
      const bounds = [min !== undefined ? `v < ${min}` : '', max !== undefined ? `v > ${max}` : ''].filter(Boolean).join(' || ');
      if (column.format !== undefined) {
        read = `${fixedTimeCode(fixedLayout(column.format), a, `day${k}`, helpers)}${bounds ? ` if (${bounds}) return false;` : ''} W[${k}] = v; R[${k}] = undefined;`;
        break;
      }
      const parse = `time${k}`;
      helpers[parse] = compileTimeFormat(column.format, c.type);
      read = `const v = ${parse}(T.slice(${a}, ${b})); if (v !== v${bounds ? ` || ${bounds}` : ''}) return false; W[${k}] = v; R[${k}] = undefined;`;
      break;
    }
    default: {
      const checks: string[] = [];
      const length = typeof column.length === 'number' ? { min: column.length, max: column.length } : column.length;
      if (length?.min !== undefined) checks.push(`v.length < ${length.min}`);
      if (length?.max !== undefined) checks.push(`v.length > ${length.max}`);
      if (column.pattern !== undefined) {
        helpers[`pattern${k}`] = new RegExp(`^(?:${column.pattern})$`, 'u');
        checks.push(`!pattern${k}.test(v)`);
      }
      if (column.values) {
        helpers[`values${k}`] = new Set(column.values);
        checks.push(`!values${k}.has(v)`);
      }
      read = `const v = T.slice(${a}, ${b});${checks.length ? ` if (${checks.join(' || ')}) return false;` : ''} W[${k}] = v; R[${k}] = undefined;`;
    }
  }
  return `{ const n = ${b} - ${a};\nif (${isNull}) { ${onNull} } else {\n${read}\n} }`;
}

/**
 * A fixed-width time read by position into `v`, as compileTimeFormat reads it (the same checks,
 * hour 24 only as 24:00:00), with the day's epoch ms cached: rows of a file share days.
 */
function fixedTimeCode(layout: FixedLayout, a: string, cache: string, helpers: Record<string, unknown>): string {
  helpers.daysFromCivil = daysFromCivil;
  helpers.daysIn = daysIn;
  helpers[cache] = { y: -1, mo: -1, d: -1, ms: 0 };
  const digits = (part: string, fallback: number) => {
    const f = layout.fields.find((x) => x.part === part);
    if (!f) return String(fallback);
    return Array.from({ length: f.width }, (_, i) => `(T.charCodeAt(${a} + ${f.at + i}) - 48)`).reduce((acc, d) => (acc === '' ? d : `(${acc}) * 10 + ${d}`), '');
  };
  const allDigits = layout.fields.flatMap((f) => Array.from({ length: f.width }, (_, i) => f.at + i));
  const literalTest = layout.literals.map((l) => `T.charCodeAt(${a} + ${l.at}) !== ${l.code}`);
  const digitTest = allDigits.map((i) => `(c = T.charCodeAt(${a} + ${i})) < 48 || c > 57`);
  return `if (n !== ${layout.width}) return false;
let c = 0;
if (${[...literalTest, ...digitTest].join(' || ') || 'false'}) return false;
const y = ${digits('YYYY', 0)}, mo = ${digits('MM', 1)}, d = ${digits('DD', 1)}, h = ${digits('HH', 0)}, mi = ${digits('mm', 0)}, se = ${digits('ss', 0)};
if (h > 24 || mi > 59 || se > 59 || (h === 24 && (mi !== 0 || se !== 0))) return false;
const dc = ${cache};
if (y !== dc.y || mo !== dc.mo || d !== dc.d) {
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return false;
  dc.y = y; dc.mo = mo; dc.d = d; dc.ms = daysFromCivil(y, mo, d) * 86400000;
}
const v = dc.ms + h * 3600000 + mi * 60000 + se * 1000;`;
}

/** The first `delimiter` at or after `from` in `T` (Infinity when none), memoised per text, so each is found once. */
function delimiterFinder(delimiter: string): (T: string, from: number) => number {
  let text = '';
  let at = -1;
  return (T, from) => {
    if (T !== text || (at !== Infinity && at < from)) {
      text = T;
      const i = T.indexOf(delimiter, from);
      at = i === -1 ? Infinity : i;
    }
    return at;
  };
}
