import type { ColumnTypeName } from '../config/schema.js';
import type { OutputColumn } from '../process/row.js';
import type { ColumnProfiler } from '../process/profile.js';
import { isNumericOutput, profileNumberCode } from '../process/profile.js';
import type { SlotCoverageBuilder } from '../rules/completeness.js';
import { formatIso } from '../rules/time.js';
import { keyHashCode, keyHashHelpers, type KeyHashes, type KeyPart } from '../rules/unique.js';
import type { OutputBytes } from '../formats/writers.js';
import type { Value } from '../rules/columns.js';
import type { CelJsKind } from './cel-js.js';
import { CEL_BAIL, celRuntime } from './cel-runtime.js';
import { putShortNumber } from './number-text.js';
import { canonicalValues, lineReaderCode, readsPlainText, type CellStore, type LineReaderSpec } from './line-reader.js';
import { celStepCode, type CelStepSpec } from './row-cel.js';

/** What the kernel did with a line. */
export const KernelOutcome = { SLOW: 0, OUT: 1, FILTERED: 2 } as const;

/**
 * One line `T[s, e)`: read, checked, transformed, written, profiled; SLOW when the general path
 * must take it. `U`, when given, is the block's bytes, whose offsets are the text's (an ASCII
 * block); `q`, the offset of the line's first quote, if it has one (see FastLine).
 */
export type RowKernel = (T: string, s: number, e: number, U?: Uint8Array, q?: number) => number;

/** The dialect a run of lines is read in, and the longest line it may take. */
export interface RunDialect {
  readonly lineBreak: '\n' | '\r';
  /** '' when the format has none. */
  readonly quote: string;
  readonly relaxQuotes: boolean;
  /** '' when the format has none. */
  readonly comment: string;
  readonly maxChars: number;
}

/** What a run of lines did: lines taken, and of them the rows written and filtered. */
export interface RunCounts {
  lines: number;
  out: number;
  filtered: number;
}

/**
 * Consecutive whole lines of `T` from `pos`, each through the kernel, as FastRun takes them: it
 * stops at a blank line, a comment, a line longer than `maxChars`, a quote in a relaxQuotes
 * dialect, or a line the kernel hands back; returns where it stopped and sets `counts`.
 */
export type KernelRun = (T: string, U: Uint8Array | undefined, pos: number, dialect: RunDialect, counts: RunCounts) => number;

/** A working slot of the row: a schema column (by its slot), a kept header field, or a derive. */
export type KernelSlot =
  | { readonly kind: 'source'; readonly slot: number; readonly type: ColumnTypeName; readonly present: boolean }
  | { readonly kind: 'keep'; readonly slot: number }
  | { readonly kind: 'derived'; readonly index: number };

export interface RowKernelSpec {
  readonly reader: LineReaderSpec;
  /** Schema columns, by slot: their type and whether the header has them. */
  readonly sources: readonly { readonly type: ColumnTypeName; readonly present: boolean }[];
  /** Rules, derives and filter; undefined when the row has none. */
  readonly cel: CelStepSpec | undefined;
  /** The output columns, each with the working slot it shows (no casts). */
  /**
   * The output columns, each with the working slot it shows. `cast` is set when the column is cast
   * to the type it already has (a derive's int cast to integer): then only its range is checked.
   */
  readonly output: readonly (OutputColumn & { readonly from: KernelSlot; readonly cast?: boolean })[];
}

/**
 * The chunk's state the kernel writes into: the same objects the general path uses. The row goes
 * to exactly one of `out` (its JSON line, written by the kernel) and `write` (its values, for the
 * Parquet writer: no input text, so only where the writer formats values itself).
 */
export interface KernelSinks {
  readonly out?: OutputBytes;
  readonly write?: (values: readonly Value[]) => void;
  readonly profiler: ColumnProfiler;
  /** `unique` rules: the hashes and their key columns, as output indexes. */
  readonly uniques: readonly { readonly hashes: KeyHashes; readonly columns: readonly number[] }[];
  /** `completeness` rules: the builder, its time column and group columns (output indexes, -1: absent). */
  readonly coverage: readonly { readonly builder: SlotCoverageBuilder; readonly time: number; readonly groups: readonly number[] }[];
}

/**
 * A compiled kernel: `bind` points it at a chunk's sinks and returns it. Compiled once per
 * pipeline and header and bound per chunk, so a worker's JIT warm-up is paid once, not per chunk.
 */
export interface BoundKernel {
  bind(sinks: KernelSinks): RowKernel & { readonly run: KernelRun };
}

const MS_PER_DAY = 86_400_000;
const NULL = [110, 117, 108, 108];
const TRUE = [116, 114, 117, 101];
const FALSE = [102, 97, 108, 115, 101];

/**
 * The row kernel of a pipeline bound to a header: generated code that takes a plain line from
 * its fields to its JSON line in the output buffer, with the profile, key hashes and coverage
 * updated on the way, and nothing allocated for a cell but a new string value. It only takes
 * what it is sure of and touches no state before the row is known to be good: anything else (a
 * reject, a warning, an unusual number, a string that needs escapes) returns SLOW, and the
 * general path gives that line its exact bytes and reasons. Undefined when a derive's kind is
 * outside what it writes.
 *
 * Three functions, so that each stays small enough for the JIT to optimize quickly and well:
 * `read` (fields, checks, CEL) leaves the row's cells in typed arrays, `emit` writes the JSON
 * line from them, `commit` folds them into the profile, key hashes and coverage.
 */
export function compileRowKernel(spec: RowKernelSpec, shape: Pick<KernelSinks, 'uniques' | 'coverage' | 'write'>): BoundKernel | undefined {
  const toValues = shape.write !== undefined;
  // A cast column drops its input text, which the JSON line copies for a source number.
  if (!toValues && spec.output.some((c) => c.cast && c.from.kind === 'source' && (c.type === 'number' || c.type === 'integer'))) return undefined;
  if (toValues && spec.output.some((c) => c.type === 'json')) return undefined;
  const bail = `return ${KernelOutcome.SLOW};`;
  const nSlots = spec.sources.length + spec.reader.keep.length;
  const slotType = (k: number): ColumnTypeName => (k < spec.sources.length ? spec.sources[k]!.type : 'string');
  const isText = (t: ColumnTypeName) => t === 'string' || t === 'enum';
  // Cells: N null flags, V numbers (times as epoch ms, booleans as 0/1), TA/TB a number's text, S strings.
  const store: CellStore = {
    nul: (k) => `N[${k}] = 1;`,
    num: (k, v, a, b) => `N[${k}] = 0; V[${k}] = ${v}; TA[${k}] = ${a}; TB[${k}] = ${b};`,
    val: (k, v) => (isText(slotType(k)) ? `N[${k}] = 0; S[${k}] = ${v};` : slotType(k) === 'boolean' ? `N[${k}] = 0; V[${k}] = ${v} ? 1 : 0;` : `N[${k}] = 0; V[${k}] = ${v};`),
  };
  const reader = lineReaderCode(spec.reader, store, bail);
  // The same fields over the bytes of an ASCII block; its state and helpers are the text reader's (the same names).
  const bytesReader = spec.reader.delimiter.length === 1 && spec.reader.delimiter.charCodeAt(0) < 128 ? lineReaderCode(spec.reader, store, bail, 'bytes') : undefined;
  const nDerived = spec.cel?.derives.length ?? 0;
  const helpers: Record<string, unknown> = {
    // The text reader's state is the one both readers use; the bytes reader adds its own helpers.
    ...bytesReader?.helpers,
    ...reader.helpers,
    ...keyHashHelpers(),
    RT: celRuntime,
    BAIL: CEL_BAIL,
    iso: formatIso,
    putShortNumber,
    // A schema column the header lacks is never read: null throughout.
    N: Uint8Array.from({ length: nSlots }, (_, k) => (k < spec.sources.length && !spec.sources[k]!.present ? 1 : 0)),
    V: new Float64Array(nSlots),
    TA: new Int32Array(nSlots),
    TB: new Int32Array(nSlots),
    S: new Array<string>(nSlots).fill(''),
    // Derives: DN null flags, DV numbers (booleans as 0/1), DS strings.
    DN: new Uint8Array(nDerived),
    DV: new Float64Array(nDerived),
    DS: new Array<string>(nDerived).fill(''),
  };
  const constants: unknown[] = [];
  helpers.K = constants;

  // CEL sees each column as its value or null.
  const cel: string[] = [];
  let kinds: CelJsKind[] = [];
  if (spec.cel) {
    const cellOf = (k: number) => (isText(slotType(k)) ? `S[${k}]` : slotType(k) === 'boolean' ? `V[${k}] === 1` : `V[${k}]`);
    const code = celStepCode(spec.cel, {
      locals: spec.cel.columns.map((c) => `c${c.slot}`),
      fallback: bail,
      onWarn: () => bail,
      onFiltered: `return ${KernelOutcome.FILTERED};`,
      storeDerive: () => '',
      constant: (value) => `K[${constants.push(value) - 1}]`,
      runtime: 'RT',
    });
    if (!code) return undefined;
    kinds = code.kinds;
    cel.push(...spec.cel.columns.map((c) => `const c${c.slot} = N[${c.slot}] === 1 ? null : ${cellOf(c.slot)};`), ...code.lines);
    kinds.forEach((kind, j) => {
      if (kind === 'string') cel.push(`if (d${j} === null) DN[${j}] = 1; else { DN[${j}] = 0; DS[${j}] = d${j}; }`);
      else if (kind === 'bool') cel.push(`if (d${j} === null) DN[${j}] = 1; else { DN[${j}] = 0; DV[${j}] = d${j} ? 1 : 0; }`);
      else if (kind === 'null') cel.push(`DN[${j}] = 1;`);
      else cel.push(`if (d${j} === null) DN[${j}] = 1; else { DN[${j}] = 0; DV[${j}] = d${j}; }`);
    });
  }

  /** A working slot's cell as an expression, a test that it is null, and its kind. */
  const valueOf = (from: KernelSlot): { js: string; isNull: string; kind: CelJsKind } => {
    if (from.kind === 'derived') {
      const j = from.index;
      const kind = kinds[j]!;
      return { js: kind === 'string' ? `DS[${j}]` : kind === 'bool' ? `DV[${j}] === 1` : `DV[${j}]`, isNull: `DN[${j}] === 1`, kind };
    }
    const k = from.slot;
    const t = slotType(k);
    const kind: CelJsKind = t === 'number' ? 'double' : t === 'integer' ? 'int' : t === 'boolean' ? 'bool' : isText(t) ? 'string' : 'timestamp';
    return { js: isText(t) ? `S[${k}]` : t === 'boolean' ? `V[${k}] === 1` : `V[${k}]`, isNull: `N[${k}] === 1`, kind };
  };

  // ---- emit: the JSON line at O.pos; returns its end, or -1 when the general path must write it
  const emit: string[] = [];
  // Constant text as little-endian words, then bytes.
  const bytes = (list: readonly number[]) => {
    const out: string[] = [];
    let i = 0;
    for (; i + 4 <= list.length; i += 4) out.push(`DW.setUint32(p + ${i}, ${(list[i]! | (list[i + 1]! << 8) | (list[i + 2]! << 16) | (list[i + 3]! << 24)) >>> 0}, true);`);
    for (; i < list.length; i++) out.push(`B[p + ${i}] = ${list[i]};`);
    return `${out.join(' ')} p += ${list.length};`;
  };
  let constBytes = 2;
  const stringCode = (v: string) =>
    `{ const t = ${v}; B[p++] = 34; for (let q = 0; q < t.length; q++) { const c = t.charCodeAt(q);
if (c < 128) { if (c < 32 || c === 34 || c === 92) return -1; B[p++] = c; }
else if (c < 2048) { B[p++] = 192 | (c >> 6); B[p++] = 128 | (c & 63); }
else if (c >= 55296 && c <= 57343) return -1;
else { B[p++] = 224 | (c >> 12); B[p++] = 128 | ((c >> 6) & 63); B[p++] = 128 | (c & 63); } }
B[p++] = 34; }`;
  const textCode = (t: string) => `{ const t = ${t}; for (let q = 0; q < t.length; q++) B[p++] = t.charCodeAt(q); }`;
  const derivedStrings: string[] = [];
  for (const [j, col] of spec.output.entries()) {
    const key = [...Buffer.from(`${j === 0 ? '{' : ','}${JSON.stringify(col.name)}:`, 'utf8')];
    constBytes += key.length + 28;
    const { js, isNull, kind } = valueOf(col.from);
    let value: string;
    const from = col.from;
    if (from.kind === 'source' && (col.type === 'number' || col.type === 'integer') && spec.reader.columns.some((c) => c.slot === from.slot && readsPlainText(c.column))) {
      // The input text, which the reader took only when it is a plain JSON number.
      value = `\uE000${from.slot}\uE000`;
    } else if (col.type === 'timestamp' || col.type === 'date') {
      // formatIso's text: the day from a cache (as words for the usual "YYYY-MM-DDT"), the time of day from digits.
      helpers[`isoDay${j}`] = { day: 0.5, text: '', w0: 0, w1: 0, w2: 0 };
      const date = col.type === 'date';
      const width = date ? 10 : 11;
      value = `{ const x = ${js}; const day = Math.floor(x / ${MS_PER_DAY}); const dc = isoDay${j};
if (day !== dc.day) { dc.day = day; const t = iso(day * ${MS_PER_DAY}).slice(0, ${width}); dc.text = t;
  if (t.length === ${width}) { dc.w0 = (t.charCodeAt(0) | (t.charCodeAt(1) << 8) | (t.charCodeAt(2) << 16) | (t.charCodeAt(3) << 24)) >>> 0; dc.w1 = (t.charCodeAt(4) | (t.charCodeAt(5) << 8) | (t.charCodeAt(6) << 16) | (t.charCodeAt(7) << 24)) >>> 0; dc.w2 = t.charCodeAt(8) | (t.charCodeAt(9) << 8) | (${date ? 0 : 't.charCodeAt(10) << 16'}); } }
B[p++] = 34; const t = dc.text;
if (t.length === ${width}) { DW.setUint32(p, dc.w0, true); DW.setUint32(p + 4, dc.w1, true); DW.setUint32(p + 8, dc.w2, true); p += ${width}; }
else for (let q = 0; q < t.length; q++) B[p++] = t.charCodeAt(q);
${
  date
    ? ''
    : `let r = (x - day * ${MS_PER_DAY}) | 0; const h = (r / 3600000) | 0; r -= h * 3600000; const mi = (r / 60000) | 0; r -= mi * 60000; const se = (r / 1000) | 0; r -= se * 1000;
const h1 = (h / 10) | 0, m1 = (mi / 10) | 0, s1 = (se / 10) | 0, r1 = (r / 100) | 0, r2 = ((r / 10) | 0) - r1 * 10;
B[p] = 48 + h1; B[p + 1] = 48 + h - h1 * 10; B[p + 2] = 58; B[p + 3] = 48 + m1; B[p + 4] = 48 + mi - m1 * 10; B[p + 5] = 58;
B[p + 6] = 48 + s1; B[p + 7] = 48 + se - s1 * 10; B[p + 8] = 46; B[p + 9] = 48 + r1; B[p + 10] = 48 + r2; B[p + 11] = 48 + r % 10; B[p + 12] = 90; p += 13;`
}
B[p++] = 34; }`;
    } else if (kind === 'bool') {
      value = `if (${js}) { ${bytes(TRUE)} } else { ${bytes(FALSE)} }`;
    } else if (kind === 'string') {
      value = stringCode(js);
      if (col.from.kind === 'derived') derivedStrings.push(`(DN[${col.from.index}] === 1 ? 0 : 3 * DS[${col.from.index}].length)`);
    } else if (kind === 'int' || kind === 'double') {
      // JSON has no NaN or Infinity: the writers print null for them.
      value = `{ const x = ${js}; if (x !== x || x === Infinity || x === -Infinity) { ${bytes(NULL)} } else { const q = putShortNumber(B, p, x); if (q !== -1) p = q; else ${textCode("'' + x")} } }`;
    } else if (kind === 'null') {
      value = '';
    } else return undefined; // a timestamp derive into a json column: the general path writes it
    emit.push(bytes(key), kind === 'null' ? bytes(NULL) : `if (${isNull}) { ${bytes(NULL)} } else { ${value} }`);
  }
  // A field may be written by more than one output column (two columns with one source, a kept field).
  const copies = new Map<number, number>();
  for (const col of spec.output) {
    const field = col.from.kind === 'keep' ? spec.reader.keep.find((k) => k.slot === (col.from as { slot: number }).slot)?.field : col.from.kind === 'source' ? spec.reader.columns.find((c) => c.slot === (col.from as { slot: number }).slot)?.field : undefined;
    if (field !== undefined) copies.set(field, (copies.get(field) ?? 0) + 1);
  }
  const most = Math.max(1, ...copies.values());
  const need = [`${constBytes} + ${3 * most} * (e - s)`, ...derivedStrings].join(' + ');

  // ---- commit: profile, key hashes, coverage
  const commit: string[] = ['P.rows++;'];
  const seen: string[] = [];
  spec.output.forEach((col, j) => {
    const { js, isNull } = valueOf(col.from);
    const from = col.from;
    const listed = from.kind === 'source' && spec.reader.columns.some((c) => c.slot === from.slot && canonicalValues(c.column, c.type));
    // Numbers in place; a listed value once per chunk (adding it again changes nothing); others when they differ from the column's last one.
    let add = `{ const x = ${js}; if (!Object.is(x, PO[${j}])) P.addOther(${j}, x); }`;
    if (isNumericOutput(col.type)) add = `{ const x = ${js}; ${profileNumberCode(String(j), 'x')} }`;
    else if (listed) {
      helpers[`SEEN${j}`] = new Set<string>();
      seen.push(`SEEN${j}.clear();`);
      add = `{ const x = ${js}; if (!SEEN${j}.has(x)) { SEEN${j}.add(x); P.addOther(${j}, x); } }`;
    }
    commit.push(`if (${isNull}) PN[${j}]++; else ${add}`);
  });
  shape.uniques.forEach((u, r) => {
    const parts: KeyPart[] = u.columns.map((o) => {
      const { js, isNull, kind } = valueOf(spec.output[o]!.from);
      if (kind === 'string') return { js, isNull, kind: 'string' };
      if (kind === 'double' || kind === 'int' || kind === 'timestamp') return { js, isNull, kind: 'number' };
      return { js: `(${isNull} ? null : ${js})`, kind: 'any' };
    });
    commit.push(`{ let a = 0, b = 0;\n${keyHashCode(parts)}\nU${r}.push(a >>> 0, b >>> 0); }`);
  });
  shape.coverage.forEach((c, r) => {
    helpers[`G${r}`] = c.groups.map(() => null);
    const time = valueOf(spec.output[c.time]!.from);
    const groups = c.groups.map((o, g) => {
      if (o === -1) return `G${r}[${g}] = null;`;
      const v = valueOf(spec.output[o]!.from);
      return `G${r}[${g}] = ${v.isNull} ? null : ${v.js};`;
    });
    commit.push(`{ const t = ${time.isNull} ? null : ${time.js}; if (typeof t === 'number') { ${groups.join(' ')} C${r}.addGrouped(t, G${r}); } }`);
  });

  // Same-type casts: the general path rejects an integer beyond 2^53 and a date off midnight.
  const castChecks = spec.output.flatMap((col) => {
    if (!col.cast || (col.type !== 'integer' && col.type !== 'date')) return [];
    const { js, isNull } = valueOf(col.from);
    return [`if (!(${isNull}) && !(${col.type === 'integer' ? `Number.isSafeInteger(${js})` : `${js} % ${MS_PER_DAY} === 0`})) ${bail}`];
  });
  const readCode = (name: string, fields: string) => `function ${name}(T, U, s, e, q) {
${fields}
${cel.join('\n')}
${castChecks.join('\n')}
return ${KernelOutcome.OUT};
}`;
  // ---- values: the row as the general path's values, for a writer that formats them itself
  const fill: string[] = [];
  if (toValues) {
    helpers.VALS = new Array<Value>(spec.output.length).fill(null);
    for (const [j, col] of spec.output.entries()) {
      const { js, isNull, kind } = valueOf(col.from);
      fill.push(kind === 'null' ? `VALS[${j}] = null;` : `VALS[${j}] = ${isNull} ? null : ${js};`);
    }
  }
  const emitCode = (name: string, numberText: (k: string) => string) => toValues ? '' : `function ${name}(T, U, s, e) {
const need = ${need};
if (O.buf.length - O.pos < need) O.reserve(need);
const B = O.buf, DW = O.view;
let p = O.pos;
${emit.join('\n').replace(/\uE000(\d+)\uE000/g, (_, k: string) => numberText(k))}
B[p] = 125; B[p + 1] = 10;
return p + 2;
}`;

  // The chunk's sinks, set by bind.
  const bound = ['O', 'W', 'P', 'PN', 'PO', 'PMIN', 'PMAX', 'PR', ...shape.uniques.map((_, r) => `U${r}`), ...shape.coverage.map((_, r) => `C${r}`)];
  const bind = `function bind(sinks) {
if ((sinks.write !== undefined) !== ${toValues}) throw new Error('row kernel: bound to the other output');
O = sinks.out; W = sinks.write; P = sinks.profiler; ${seen.join(' ')} PN = P.nulls; PO = P.last; PMIN = P.minN; PMAX = P.maxN; PR = P.registers;
${shape.uniques.map((_, r) => `U${r} = sinks.uniques[${r}].hashes;`).join(' ')} ${shape.coverage.map((_, r) => `C${r} = sinks.coverage[${r}].builder;`).join(' ')}
return rowKernel;
}`;
  const source = `"use strict";
${reader.state}
let ${bound.join(', ')};
const PF64 = new Float64Array(1), PU32 = new Uint32Array(PF64.buffer);
${bind}
${readCode('read', reader.body)}
${emitCode('emit', (k) => `for (let q = TA[${k}], end = TB[${k}]; q < end; q++) B[p++] = T.charCodeAt(q);`)}
${
  bytesReader
    ? `${readCode('readBytes', bytesReader.body)}
${emitCode(
  'emitBytes',
  // A number's text is at most 16 bytes here: two words over-copied, or bytes at the block's end.
  (k) => `{ const a = TA[${k}], n = TB[${k}] - a; if (a + 8 <= U.length && n <= 8) { DW.setUint32(p, UV.getUint32(a, true), true); DW.setUint32(p + 4, UV.getUint32(a + 4, true), true); p += n; } else for (let q = a; q < a + n; q++) B[p++] = U[q]; }`,
)}`
    : ''
}
${toValues ? `function fill() {\n${fill.join('\n')}\n}` : ''}
function commit() {
${commit.join('\n')}
}
let lastU = null, UV = null;
function rowKernel(T, s, e, U, q) {
let p = -1;
if (U !== undefined && ${bytesReader ? 'true' : 'false'}) {
  if (U !== lastU) { lastU = U; UV = new DataView(U.buffer, U.byteOffset, U.byteLength); }
  const r = readBytes(T, U, s, e, q);
  if (r !== ${KernelOutcome.OUT}) return r;
  ${toValues ? '' : 'p = emitBytes(T, U, s, e);'}
} else {
  const r = read(T, U, s, e, q);
  if (r !== ${KernelOutcome.OUT}) return r;
  ${toValues ? '' : 'p = emit(T, U, s, e);'}
}
${toValues ? 'fill(); W(VALS);' : `if (p < 0) return ${KernelOutcome.SLOW};
O.pos = p; O.rows++;`}
commit();
return ${KernelOutcome.OUT};
}
function run(T, U, pos, D, C) {
const LB = D.lineBreak, LF = LB === '\\n', QT = D.quote, RQ = D.relaxQuotes, CM = D.comment, MAX = D.maxChars;
// nq: the next quote at or after pos (-1: none left in T; -2: not looked for yet).
let lines = 0, out = 0, filtered = 0, nq = QT === '' ? -1 : -2;
for (;;) {
  const nl = T.indexOf(LB, pos);
  if (nl === -1) break;
  let e = nl;
  if (LF && e > pos && T.charCodeAt(e - 1) === 13) e--;
  if (e === pos || e - pos > MAX || (CM !== '' && T.startsWith(CM, pos))) break;
  let q;
  if (nq !== -1) {
    if (nq < pos) nq = T.indexOf(QT, pos);
    if (nq !== -1 && nq < e) { if (RQ) break; q = nq; }
  }
  let r;
  try { r = rowKernel(T, pos, e, U, q); } catch (err) { if (err === BAIL) break; throw err; }
  if (r === ${KernelOutcome.SLOW}) break;
  if (r === ${KernelOutcome.FILTERED}) filtered++; else out++;
  lines++;
  pos = nl + 1;
}
C.lines = lines; C.out = out; C.filtered = filtered;
return pos;
}
rowKernel.run = run;
return { bind };`;
  const names = Object.keys(helpers);
  return new Function(...names, source)(...names.map((n) => helpers[n])) as BoundKernel;
}
