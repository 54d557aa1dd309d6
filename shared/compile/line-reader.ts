import type { Column, ColumnTypeName } from '../config/schema.js';
import { columnBound, compileColumn, hasNumberFormat, parseBooleanText, type Value } from '../rules/columns.js';
import { compileTimeFormat, daysFromCivil, daysIn, fixedLayout, isFixedPattern, TIME_MAX, TIME_MIN, type FixedLayout } from '../rules/time.js';

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
  /**
   * The quote character, or '' when the reader takes no quoted field. A quoted field is read
   * when it is simple (no doubled quote, closed on the line, then the delimiter or the line's
   * end); a quote anywhere else hands the line back.
   */
  readonly quote?: string;
}

/**
 * Reads the fields of one line `T[s, e)` (no line ending; `q` its first quote, if any) straight into the row's
 * values `W` and, for numbers, their JSON text `R`. True when every field was read and passed
 * its column's checks; false when anything is unusual (a failing check, a number that is not a
 * plain decimal, a field count that is off), and then the general path reads the line and gives
 * the exact values or reasons. So the two paths always agree: this one only takes what it is sure of.
 */
export type LineReader = (T: string, s: number, e: number, W: Value[], R: (string | undefined)[], q?: number) => boolean;

/** Listed values a column may have and still be matched in place. */
const SHORT_LIST = 32;

/** Decimal digits a plain number may have and still parse exactly by `m / 10^f` (below 2^53). */
const MAX_DIGITS = 15;

/**
 * Where the generated field code puts a column's cell. The line reader stores into the row's
 * arrays (`W`, and `R` for a number's JSON text); the row kernel keeps cells in locals.
 */
export interface CellStore {
  /** Column `k` is null. */
  nul(k: number): string;
  /** Column `k` is the number `v`, whose text `T[a, b)` is a plain JSON number. */
  num(k: number, v: string, a: string, b: string): string;
  /** Column `k` is `v` (a boolean, epoch ms, or a string). */
  val(k: number, v: string): string;
}

/** The line reader's store: the row's values `W` and number texts `R`. */
const rowStore: CellStore = {
  nul: (k) => `W[${k}] = null; R[${k}] = undefined;`,
  num: (k, v, a, b) => `W[${k}] = ${v}; R[${k}] = T.slice(${a}, ${b});`,
  val: (k, v) => `W[${k}] = ${v}; R[${k}] = undefined;`,
};

/** Generated field code: `body` reads `T[s, e)`, runs `bail` on anything unusual, and uses the `helpers`. */
export interface LineReaderCode {
  readonly body: string;
  /** Per-column state the body keeps between lines (the last string seen), declared outside the function. */
  readonly state: string;
  readonly helpers: Record<string, unknown>;
}

/**
 * The field code of a pipeline bound to a header: the header's field layout, each column's null
 * markers, parser and checks inlined, and no allocation but the values themselves. A string
 * column remembers its last value, so a repeated one (a site, a status) is neither sliced nor
 * checked again.
 */
export function lineReaderCode(spec: LineReaderSpec, store: CellStore, bail: string, access: 'text' | 'bytes' = 'text'): LineReaderCode {
  const helpers: Record<string, unknown> = { P10: Array.from({ length: 23 }, (_, i) => 10 ** i), parseBooleanText };
  const state: string[] = [];
  const markerTest = (a: string, n: string, column?: Column) => {
    const list = column?.nullValues ?? spec.nullValues;
    const text = list.filter((m) => m !== '');
    return [list.includes('') ? `${n} === 0` : '', ...text.map((m) => `(${n} === ${m.length} && T.startsWith(${JSON.stringify(m)}, ${a}))`)].filter(Boolean).join(' || ') || 'false';
  };
  // Over bytes (an ASCII block, where character and byte offsets agree) a character is an array load.
  const D = JSON.stringify(spec.delimiter);
  const at = access === 'bytes' ? (i: string) => `U[${i}]` : (i: string) => `T.charCodeAt(${i})`;
  // Sets j to the next delimiter at or after `from`: -1 or e (the line's end) when there is none.
  // Over bytes, fields are short and a loop beats a call to indexOf.
  const find = access === 'bytes' ? (from: string) => `j = ${from}; while (j < e && U[j] !== ${spec.delimiter.charCodeAt(0)}) j++;` : (from: string) => `j = T.indexOf(${D}, ${from});`;
  const ctx: FieldContext = { spec, store, bail, helpers, state, markerTest, at, find, access };
  if (access === 'bytes') helpers.sameBytes = sameBytes;
  const Q = spec.quote ?? '';
  // nq: the next quote at or after the field being read (Infinity: none on the line).
  const lines: string[] = ['let j = 0;', ...(Q ? ['let nq = q < e ? q : Infinity;'] : [])];
  const QC = Q.charCodeAt(0);
  const findQuote = (from: string) => (access === 'bytes' ? `j = ${from}; while (j < e && U[j] !== ${QC}) j++;` : `j = T.indexOf(${JSON.stringify(Q)}, ${from});`);
  const nextQuote = (from: string) =>
    access === 'bytes' ? `nq = ${from}; while (nq < e && U[nq] !== ${QC}) nq++; if (nq >= e) nq = Infinity;` : `nq = T.indexOf(${JSON.stringify(Q)}, ${from}); if (nq === -1 || nq >= e) nq = Infinity;`;
  // Fields in header order: a{f} is the start, b{f} the end, z{f} the delimiter after it (past a
  // closing quote). A field only one number column reads is scanned and parsed in one pass; the
  // others are found with indexOf and then read.
  const after = (f: number) => (Q ? `z${f}` : `b${f}`);
  for (let f = 0; f < spec.fields; f++) {
    const last = f === spec.fields - 1;
    const a = f === 0 ? 's' : `${after(f - 1)} + 1`;
    const readers = spec.columns.filter((c) => c.field === f);
    const only = readers.length === 1 && !spec.keep.some((k) => k.field === f) ? readers[0]! : undefined;
    if (only && (only.type === 'number' || only.type === 'integer') && readsPlainText(only.column)) {
      // A quoted number is the general path's.
      lines.push(`const a${f} = ${a}; let b${f} = 0;`, numberScanCode(only, ctx, last), ...(Q ? [`if (nq < b${f}) ${bail} const z${f} = b${f};`] : []));
      continue;
    }
    const unquoted = last ? `if (nextDelimiter(T, a${f}) < e) ${bail} b${f} = e;` : `${find(`a${f}`)} if (j === -1 || j >= e) ${bail} b${f} = j;`;
    if (!Q) lines.push(`const a${f} = ${a}; let b${f} = 0; ${unquoted}`);
    else
      lines.push(`let a${f} = ${a}, b${f} = 0, z${f} = 0;
if (nq === a${f}) {
  ${findQuote(`a${f} + 1`)} if (j === -1 || j >= e) ${bail}
  z${f} = j + 1;
  if (${last ? `z${f} !== e` : `z${f} >= e || ${at(`z${f}`)} !== ${spec.delimiter.charCodeAt(0)}`}) ${bail}
  a${f}++; b${f} = j;
  ${nextQuote(`z${f}`)}
} else { ${unquoted} if (nq < b${f}) ${bail} z${f} = b${f}; }`);
    for (const c of readers) lines.push(columnCode(c, ctx));
  }
  for (const k of spec.keep) {
    lines.push(`{ const n = b${k.field} - a${k.field}; if (${markerTest(`a${k.field}`, 'n')}) { ${store.nul(k.slot)} } else { ${store.val(k.slot, `T.slice(a${k.field}, b${k.field})`)} } }`);
  }
  // The last field has no delimiter after it: remember where the next one is, or that the block has
  // none, so a file of one column is not scanned to the block's end on every line.
  helpers.nextDelimiter = delimiterFinder(spec.delimiter);
  return { body: lines.join('\n'), state: state.join('\n'), helpers };
}

/** The line reader: the field code over the row's arrays, true when every field was taken. */
export function compileLineReader(spec: LineReaderSpec): LineReader {
  const { body, state, helpers } = lineReaderCode(spec, rowStore, 'return false;');
  const names = Object.keys(helpers);
  const source = `"use strict";\n${state}\nreturn function readLine(T, s, e, W, R, q) {\n${body}\nreturn true;\n};`;
  return new Function(...names, source)(...names.map((n) => helpers[n])) as LineReader;
}

interface FieldContext {
  readonly spec: LineReaderSpec;
  readonly access: 'text' | 'bytes';
  /** The code of the character at index expression `i`: `T.charCodeAt(i)`, or `U[i]` over the line's bytes. */
  readonly at: (i: string) => string;
  /** Statements setting j to the next delimiter at or after index expression `from` (-1 or e when none). */
  readonly find: (from: string) => string;
  readonly store: CellStore;
  readonly bail: string;
  readonly helpers: Record<string, unknown>;
  readonly state: string[];
  /** The null-marker test of field `T[a, a + n)` for `column` (its own nullValues, or the format's). */
  readonly markerTest: (a: string, n: string, column?: Column) => string;
}

/**
 * Whether a column's cells, as the reader stores them, are the strings of its `values` list
 * itself: a few string objects whose hashes V8 keeps, so a set or map of them is cheap to ask.
 */
export function canonicalValues(column: Column, type: ColumnTypeName): boolean {
  return column.values !== undefined && readsPlainText(column) && type !== 'number' && type !== 'integer' && type !== 'boolean' && type !== 'timestamp' && type !== 'date';
}

/**
 * Whether the generated code reads a column itself: not when it trims or has a number format of
 * its own (then the column's compiled check reads the field's text, and a number's JSON text is
 * its value printed, not the input).
 */
export function readsPlainText(column: Column): boolean {
  return !column.trim && !hasNumberFormat(column);
}

/** A number field read in the same pass that finds its end: digits as they come, the delimiter right after them. */
function numberScanCode(c: LineColumn, ctx: FieldContext, last: boolean): string {
  const { field: f, slot: k, column } = c;
  const { spec, store, bail, markerTest, at, find } = ctx;
  const D = spec.delimiter.charCodeAt(0);
  const a = `a${f}`;
  const bounds = boundsTest(c);
  const onNull = column.required ? bail : store.nul(k);
  // A marker that is itself a plain number ("-9999") is told apart after the parse, by its parts:
  // sign, digits as an integer and fraction digits name one text of that grammar.
  const numeric = (column.nullValues ?? spec.nullValues).filter((m) => /^-?(0|[1-9]\d*)(\.\d+)?$/.test(m) && m.replace(/[-.]/g, '').length <= MAX_DIGITS);
  const numericNull = numeric
    .map((m) => {
      const dot = m.indexOf('.');
      return `(neg === ${m.startsWith('-')} && m === ${Number(m.replace(/[-.]/g, ''))} && fd === ${dot === -1 ? 0 : m.length - dot - 1})`;
    })
    .join(' || ');
  const end = last ? `if (nextDelimiter(T, ${a}) < e) ${bail} j = e;` : `if (j === -1 || j >= e) ${bail}`;
  return `{ let p = ${a}, neg = false, m = 0, digits = 0, fd = 0, d = p < e ? ${at(`p`)} : -1;
if (d === 45) { neg = true; p++; d = p < e ? ${at(`p`)} : -1; }
if (d === 48) { p++; digits = 1; }
else if (d >= 49 && d <= 57) { do { m = m * 10 + (d - 48); p++; digits++; } while (p < e && (d = ${at(`p`)}) >= 48 && d <= 57); }
${c.type === 'number' ? `if (digits > 0 && p < e && ${at(`p`)} === 46) { const q = ++p; while (p < e && (d = ${at(`p`)}) >= 48 && d <= 57) { m = m * 10 + (d - 48); p++; } fd = p - q; if (fd === 0) digits = 0; else digits += fd; }` : ''}
if (digits > 0 && (${last ? 'p === e' : `p < e && ${at(`p`)} === ${D}`})) {
  if (digits > ${MAX_DIGITS}) ${bail}
  b${f} = p;
  const n = p - ${a};
  if (${numericNull || 'false'}) { ${onNull} } else {
    let v = fd === 0 ? m : m / P10[fd]; if (neg) v = -v;
    ${bounds ? `if (${bounds}) ${bail}` : ''}
    ${store.num(k, 'v', a, 'p')}
  }
} else {
  // Not a plain number: a null marker, or the general path.
  ${last ? '' : `${find(a)} `}${end}
  b${f} = j;
  const n = j - ${a};
  if (${markerTest(a, 'n', column)}) { ${onNull} } else ${bail}
} }`;
}

/** The column's min/max test on `v`, or '' when it has none. */
function boundsTest(c: LineColumn): string {
  const min = columnBound(c.type, c.column.min, '');
  const max = columnBound(c.type, c.column.max, '');
  return [min !== undefined ? `v < ${min}` : '', max !== undefined ? `v > ${max}` : ''].filter(Boolean).join(' || ');
}

function columnCode(c: LineColumn, ctx: FieldContext): string {
  const { field: f, slot: k, column } = c;
  const { store, bail, helpers, state, markerTest, at } = ctx;
  const a = `a${f}`;
  const b = `b${f}`;
  if (!readsPlainText(column)) {
    // The column's own check, as the general path runs it; any failure hands the line back.
    helpers[`check${k}`] = compileColumn(c.name, column, new Set(ctx.spec.nullValues), '');
    helpers.F ??= [];
    return `{ const v = check${k}(T.slice(${a}, ${b}), F); if (F.length !== 0) { F.length = 0; ${bail} } if (v === null) { ${store.nul(k)} } else { ${store.val(k, 'v')} } }`;
  }
  const isNull = markerTest(a, 'n', column);
  const onNull = column.required ? bail : store.nul(k);
  const bounds = boundsTest(c);
  let read: string;
  switch (c.type) {
    case 'number':
    case 'integer': {
      // -?(0|[1-9]\d*)(\.\d+)? with at most 15 digits: JSON text as it stands, and m / 10^f is Number(text).
      read = `let p = ${a}, neg = false, m = 0, digits = 0, fd = 0, d = ${at(`p`)};
if (d === 45) { neg = true; d = ${at(`++p`)}; }
if (d === 48) { p++; digits = 1; }
else if (d >= 49 && d <= 57) { while (p < ${b} && (d = ${at(`p`)} - 48) >= 0 && d <= 9) { m = m * 10 + d; p++; digits++; } }
else ${bail}
${c.type === 'number' ? `if (p < ${b} && ${at(`p`)} === 46) { const q = ++p; while (p < ${b} && (d = ${at(`p`)} - 48) >= 0 && d <= 9) { m = m * 10 + d; p++; } fd = p - q; if (fd === 0) ${bail} digits += fd; }` : ''}
if (p !== ${b} || digits > ${MAX_DIGITS}) ${bail}
let v = fd === 0 ? m : m / P10[fd]; if (neg) v = -v;
${bounds ? `if (${bounds}) ${bail}` : ''}
${store.num(k, 'v', a, b)}`;
      break;
    }
    case 'boolean':
      read = `const v = parseBooleanText(T.slice(${a}, ${b})); if (v === undefined) ${bail} ${store.val(k, 'v')}`;
      break;
    case 'date':
    case 'timestamp': {
      if (column.format !== undefined && column.timezone === undefined && isFixedPattern(column.format)) {
        read = `${fixedTimeCode(fixedLayout(column.format), a, `day${k}`, ctx)}${bounds ? ` if (${bounds}) ${bail}` : ''} ${store.val(k, 'v')}`;
        break;
      }
      const parse = `time${k}`;
      helpers[parse] = compileTimeFormat(column.format, c.type, column.timezone);
      read = `const v = ${parse}(T.slice(${a}, ${b})); if (v !== v || v < ${TIME_MIN} || v > ${TIME_MAX}${bounds ? ` || ${bounds}` : ''}) ${bail} ${store.val(k, 'v')}`;
      if (c.type === 'timestamp' && column.format === undefined && column.timezone === undefined) {
        // ISO 8601's usual form, YYYY-MM-DDTHH:mm:ss (T or a space, an optional Z), read in place as parseIsoTimestamp reads it.
        const iso = fixedLayout('YYYY-MM-DDTHH:mm:ss');
        const layout = { ...iso, literals: iso.literals.filter((l) => l.at !== 10) };
        const usual = `(n === 19 || (n === 20 && ${at(`${a} + 19`)} === 90)) && (${at(`${a} + 10`)} === 84 || ${at(`${a} + 10`)} === 32)`;
        read = `if (${usual}) { ${fixedTimeCode(layout, a, `day${k}`, ctx, 'false')}${bounds ? ` if (${bounds}) ${bail}` : ''} ${store.val(k, 'v')} } else { ${read} }`;
      }
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
      // The last value that passed: the same text again needs no slice and no check.
      state.push(`let last${k} = '', lastLength${k} = -1;`);
      // Over bytes (ASCII), the same text is the same bytes: compared in place, with no call.
      const sameAs = (c: string) => (ctx.access === 'bytes' ? `sameBytes(U, ${a}, ${c})` : `T.startsWith(${c}, ${a})`);
      // A listed value is the list's own string (see canonicalValues): a short list matched in
      // place, by length and then text (no slice, no hash); a long one looked up after the slice.
      const list = column.values;
      let found = `v = T.slice(${a}, ${b});`;
      let listed = '';
      if (list && list.length <= SHORT_LIST) {
        helpers[`list${k}`] = list;
        const cases = [...new Set(list.map((x) => x.length))].map((len) => `case ${len}: ${list.flatMap((x, i) => (x.length === len ? [`if (${sameAs(`list${k}[${i}]`)}) v = list${k}[${i}]; else`] : [])).join(' ')} ${bail} break;`);
        found = `switch (n) { ${cases.join(' ')} default: ${bail} }`;
      } else if (list) {
        helpers[`values${k}`] = new Map(list.map((x) => [x, x]));
        listed = ` v = values${k}.get(v); if (v === undefined) ${bail}`;
      }
      read = `let v = last${k};
if (n !== lastLength${k} || !${sameAs('v')}) { ${found}${checks.length ? ` if (${checks.join(' || ')}) ${bail}` : ''}${listed} last${k} = v; lastLength${k} = n; }
${store.val(k, 'v')}`;
    }
  }
  return `{ const n = ${b} - ${a};\nif (${isNull}) { ${onNull} } else {\n${read}\n} }`;
}

/**
 * A fixed-width time read by position into `v`, as compileTimeFormat reads it (the same checks,
 * hour 24 only as 24:00:00), with the day's epoch ms cached: rows of a file share days.
 */
function fixedTimeCode(layout: FixedLayout, a: string, cache: string, ctx: FieldContext, widthOff = `n !== ${layout.width}`): string {
  const { helpers, bail, at } = ctx;
  helpers.daysFromCivil = daysFromCivil;
  helpers.daysIn = daysIn;
  helpers[cache] = { y: -1, mo: -1, d: -1, ms: 0 };
  // Every digit read once, as its value; a character that is no digit is above 9 as an unsigned number.
  const digits = (part: string, fallback: number) => {
    const f = layout.fields.find((x) => x.part === part);
    if (!f) return String(fallback);
    return Array.from({ length: f.width }, (_, i) => `t${f.at + i}`).reduce((acc, d) => (acc === '' ? d : `(${acc}) * 10 + ${d}`), '');
  };
  const allDigits = layout.fields.flatMap((f) => Array.from({ length: f.width }, (_, i) => f.at + i));
  const literalTest = layout.literals.map((l) => `${at(`${a} + ${l.at}`)} !== ${l.code}`);
  const reads = allDigits.map((i) => `t${i} = ${at(`${a} + ${i}`)} - 48`);
  const digitTest = allDigits.map((i) => `t${i} >>> 0 > 9`);
  return `if (${widthOff}) ${bail}
${reads.length ? `const ${reads.join(', ')};` : ''}
if (${[...literalTest, ...digitTest].join(' || ') || 'false'}) ${bail}
const y = ${digits('YYYY', 0)}, mo = ${digits('MM', 1)}, d = ${digits('DD', 1)}, h = ${digits('HH', 0)}, mi = ${digits('mm', 0)}, se = ${digits('ss', 0)};
if (h > 24 || mi > 59 || se > 59 || (h === 24 && (mi !== 0 || se !== 0))) ${bail}
const dc = ${cache};
if (y !== dc.y || mo !== dc.mo || d !== dc.d) {
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) ${bail}
  dc.y = y; dc.mo = mo; dc.d = d; dc.ms = daysFromCivil(y, mo, d) * 86400000;
}
const v = dc.ms + h * 3600000 + mi * 60000 + se * 1000;
if (v > ${TIME_MAX}) ${bail}`;
}

/** Whether `U` holds the one-byte string `v` at `a` (its length is known to fit). */
function sameBytes(U: Uint8Array, a: number, v: string): boolean {
  for (let q = 0; q < v.length; q++) if (U[a + q] !== v.charCodeAt(q)) return false;
  return true;
}

/**
 * The first `delimiter` at or after `from` in `T` (Infinity when none), memoised, so each is found
 * once while lines move forward through a text. The answer holds only for the same text and a
 * `from` between the search's start and its answer: a block with the same content, read again
 * (a retry, or the same file twice in a worker), starts over from its first line.
 */
function delimiterFinder(delimiter: string): (T: string, from: number) => number {
  let text = '';
  let searched = Infinity;
  let at = -1;
  return (T, from) => {
    if (T !== text || from < searched || (at !== Infinity && at < from)) {
      text = T;
      searched = from;
      const i = T.indexOf(delimiter, from);
      at = i === -1 ? Infinity : i;
    }
    return at;
  };
}
