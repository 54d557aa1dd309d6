import type { ColumnTypeName, Pipeline } from '../config/schema.js';
import { CEL_BAIL } from '../compile/cel-runtime.js';
import { compileLineReader, readsPlainText, type LineReaderSpec } from '../compile/line-reader.js';
import { CelStep, compileCelStep, type CelStepSpec } from '../compile/row-cel.js';
import { compileRowKernel, type BoundKernel, type KernelRun, type KernelSinks, type KernelSlot, type RowKernel, type RowKernelSpec } from '../compile/row-kernel.js';
import { dialectOf } from '../config/resolve.js';
import { didYouMean } from '../config/suggest.js';
import { ConfigError, InputError } from '../errors.js';
import { compileColumn, isJsonNumber, parseBooleanText, parseIntegerText, parseNumberText, type ColumnCheck, type Failure, type Value } from '../rules/columns.js';
import { celEnvironment, compileCel, declareCelVariable, fromCelAs, outputTypeOfCel, toCel, type CelProgram } from '../rules/cel.js';
import { formatIso, parseIsoDate, parseIsoTimestamp } from '../rules/time.js';

/** An output column: its name and type as writers need them. */
export interface OutputColumn {
  readonly name: string;
  readonly type: ColumnTypeName | 'json';
}

export const Outcome = { OUT: 0, REJECT: 1, FILTERED: 2 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** `processLine` could not be sure of a line: read it with the tokenizer and `process`. */
export const SLOW = 3;

/**
 * Validates and transforms one record; compiled once per chunk from the pipeline and the file's header.
 * To keep the hot loop free of allocation, results land in arrays the processor reuses: read
 * `values`/`texts`/`warnings` after OUT and `failures` after REJECT, before the next call.
 */
export interface RowProcessor {
  readonly columns: readonly OutputColumn[];
  /** Schema columns in schema order, with the header index each reads (-1 when absent). */
  readonly inputColumns: readonly { name: string; type: ColumnTypeName; index: number }[];
  process(fields: string[] | undefined, object: Record<string, unknown> | undefined): Outcome;
  /**
   * The same for one unquoted line `T[s, e)` of a delimited file, read by generated code without
   * splitting it; SLOW when the line needs the general path (a reject among them). Absent for JSONL.
   */
  readonly processLine: ((T: string, s: number, e: number, q?: number) => Outcome | typeof SLOW) | undefined;
  /**
   * The row kernel for this chunk's sinks: `processLine` with the row's profile, key hashes,
   * coverage and JSON line done in the same generated function (see compileRowKernel).
   * Undefined where it does not apply (JSONL input, casts, CEL the compiler does not cover).
   */
  readonly kernel: ((sinks: KernelSinks) => (RowKernel & { readonly run: KernelRun }) | undefined) | undefined;
  readonly values: Value[];
  /**
   * Per output column, the JSON text writers copy instead of formatting the value: a number's input
   * text when it is already a JSON number, a derived list or map. Never set for a string.
   */
  readonly texts: (string | undefined)[];
  readonly failures: Failure[];
  readonly warnings: string[];
  /**
   * JSONL input with `unknownColumns: keep`: the record's keys that are not in the schema, as
   * JSON members (`"k":1,"j":"x"`) for the JSONL writer to append, after OUT. Undefined when none.
   */
  extra: string | undefined;
}

interface SourceColumn {
  name: string;
  type: ColumnTypeName;
  index: number;
  key: string;
  check: ColumnCheck;
}

/** A header name as columns are matched to it: spaces around it do not count. */
export const headerName = (h: string): string => h.trim();

/**
 * Compiles a pipeline's column checks, CEL rules and transforms against a header.
 * `header` is undefined for JSONL (columns are read by name).
 */
export function compileRowProcessor(p: Pipeline, header: readonly string[] | undefined, at = 'pipeline', file = 'input', options: { generated?: boolean } = {}): RowProcessor {
  // generated: false keeps the general path only (the tokenizer's fields, the CEL interpreter): the tests' reference.
  const generated = options.generated !== false;
  const nulls = new Set(p.format.nullValues);
  const jsonl = p.format.type === 'jsonl';
  // header: false reads columns by position, in schema order.
  const positional = !header && !jsonl;
  const names = header?.map(headerName);
  if (names) {
    const seen = new Set<string>();
    names.forEach((h, i) => {
      if (h === '') throw new InputError(file, 1, `header column ${i + 1} has no name`);
      if (seen.has(h)) throw new InputError(file, 1, `duplicate header name "${h}"`);
      seen.add(h);
    });
  }
  const sources: SourceColumn[] = Object.entries(p.schema.columns).map(([name, c], position) => {
    const key = c.source ?? name;
    const index = positional ? position : names ? names.indexOf(headerName(key)) : -1;
    return { name, type: c.type, index, key, check: compileColumn(name, c, nulls, `${at}.schema.columns.${name}`) };
  });
  if (names) {
    const missing = sources.filter((s) => s.index === -1 && !p.schema.columns[s.name]!.allowMissing);
    if (missing.length) throw new InputError(file, 1, missingColumns(missing.map((m) => m.key), names, sources.length));
  }
  const known = new Set(sources.map((s) => s.key));
  const unknown = names ? names.map((h, index) => ({ name: h, index })).filter((h) => !known.has(h.name)) : [];
  const keepUnknown = p.schema.unknownColumns === 'keep' ? unknown : [];
  if (p.schema.unknownColumns === 'reject' && unknown.length) {
    throw new InputError(file, 1, `columns not in the schema: ${unknown.map((u) => u.name).join(', ')}`);
  }
  // JSONL has no header: keys not in the schema are found per record.
  const unknownKeys = jsonl && p.schema.unknownColumns !== 'ignore' ? p.schema.unknownColumns : undefined;
  const expectedFields = names ? names.length : positional ? sources.length : 0;

  const env = celEnvironment(sources.map((s) => ({ name: s.name, type: s.type, nullable: !p.schema.columns[s.name]!.required })));
  const rules = p.rules.row.map((r, i) => ({
    name: r.name,
    severity: r.severity,
    message: r.message ?? `rule ${r.name} failed: ${r.expr}`,
    program: compileCel(env, r.expr, `${at}.rules.row[${i}].expr`, 'bool').program,
  }));
  // A derived column is written with the type CEL checks its expression to (int → integer, …).
  const derived: { name: string; program: CelProgram; type: OutputColumn['type'] }[] = [];
  for (const [name, expr] of Object.entries(p.transform.derive ?? {})) {
    const compiled = compileCel(env, expr, `${at}.transform.derive.${name}`);
    derived.push({ name, program: compiled.program, type: outputTypeOfCel(compiled.type) });
    // dyn, as config checking declares it, so both accept the same later expressions.
    declareCelVariable(env, name, 'dyn');
  }
  const filter = p.transform.filter !== undefined ? compileCel(env, p.transform.filter, `${at}.transform.filter`, 'bool').program : undefined;
  const usesCel = rules.length > 0 || derived.length > 0 || filter !== undefined;

  // Output plan: every column of the working row, then select, cast and rename.
  const working: { name: string; type: OutputColumn['type'] }[] = [
    ...sources.map((s) => ({ name: s.name, type: s.type as OutputColumn['type'] })),
    ...keepUnknown.map((u) => ({ name: u.name, type: 'string' as const })),
    ...derived.map((d) => ({ name: d.name, type: d.type })),
  ];
  const selected = p.transform.select ?? working.map((w) => w.name);
  const picks = selected.map((name, j) => {
    const index = working.findIndex((w) => w.name === name);
    if (index === -1) throw new ConfigError(`${at}.transform.select[${j}]`, `unknown column "${name}"`);
    return index;
  });
  // Own keys only: a column named "constructor" or "toString" is no entry of a plain object's prototype.
  const own = <T>(map: Readonly<Record<string, T>> | undefined, name: string): T | undefined => (map && Object.hasOwn(map, name) ? map[name] : undefined);
  const casts = picks.map((i) => own(p.transform.cast, working[i]!.name));
  const columns: OutputColumn[] = picks.map((i, j) => ({
    name: own(p.transform.rename, working[i]!.name) ?? working[i]!.name,
    type: casts[j] ?? working[i]!.type,
  }));

  const nSources = sources.length;
  // A number's input text is its JSON text only when the column reads it as it stands (no trim, no format of its own).
  const numeric = sources.map((src) => (src.type === 'number' || src.type === 'integer') && readsPlainText(p.schema.columns[src.name]!));
  // No prototype: a column named "__proto__" or "constructor" is a plain entry.
  const context = Object.create(null) as Record<string, unknown>;
  // Only the columns an expression names are converted to CEL values (Dates and bigints cost).
  const celText = [...p.rules.row.map((r) => r.expr), ...Object.values(p.transform.derive ?? {}), p.transform.filter ?? ''].join(' ').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '');
  const named = new Set(celText.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
  const celColumns = sources.map((src, i) => ({ i, name: src.name, type: src.type })).filter((c) => named.has(c.name));
  const work: Value[] = new Array<Value>(working.length).fill(null);
  const rawText: (string | undefined)[] = new Array<string | undefined>(working.length).fill(undefined);
  const failures: Failure[] = [];
  const warnings: string[] = [];
  const values: Value[] = new Array<Value>(picks.length).fill(null);
  const texts: (string | undefined)[] = new Array<string | undefined>(picks.length).fill(undefined);
  const identity = picks.every((w, j) => w === j && !casts[j]) && picks.length === working.length;

  const reject = (): Outcome => Outcome.REJECT;

  const outputNames = new Set(columns.map((c) => c.name));
  const derivedBase = nSources + keepUnknown.length;
  const celSpec: CelStepSpec | undefined = usesCel
    ? {
        env,
        columns: sources.map((src, slot) => ({ name: src.name, type: src.type, nullable: !p.schema.columns[src.name]!.required || src.index === -1, slot })),
        rules: p.rules.row,
        derives: derived.map((d, j) => ({ name: d.name, expr: p.transform.derive![d.name]!, type: d.type, slot: derivedBase + j })),
        filter: p.transform.filter,
      }
    : undefined;
  const celStep = celSpec && generated ? compileCelStep(celSpec) : undefined;
  // Unquoted lines of a delimited file take the generated reader; anything it is unsure of comes back here.
  const readerSpec: LineReaderSpec | undefined =
    expectedFields > 0 && generated
      ? {
          delimiter: dialectOf(p).delimiter,
          // Quoted fields are read only where a stray quote makes a record malformed (no relaxQuotes).
          quote: dialectOf(p).relaxQuotes ? '' : dialectOf(p).quote,
          fields: expectedFields,
          columns: sources.filter((src) => src.index !== -1).map((src) => ({ field: src.index, slot: sources.indexOf(src), name: src.name, type: src.type, column: p.schema.columns[src.name]! })),
          keep: keepUnknown.map((u, k) => ({ field: u.index, slot: nSources + k })),
          nullValues: p.format.nullValues,
        }
      : undefined;
  const lineReader = readerSpec && compileLineReader(readerSpec);
  // The whole row in one generated function; casts stay on the general path unless they keep the type.
  const sameTypeCast = (j: number) => casts[j] !== undefined && casts[j] === working[picks[j]!]!.type;
  const slotOf = (w: number): KernelSlot =>
    w < nSources ? { kind: 'source', slot: w, type: sources[w]!.type, present: sources[w]!.index !== -1 } : w < derivedBase ? { kind: 'keep', slot: w } : { kind: 'derived', index: w - derivedBase };
  const kernelSpec: RowKernelSpec | undefined =
    readerSpec && (!usesCel || celStep) && casts.every((c, j) => c === undefined || sameTypeCast(j))
      ? {
          reader: readerSpec,
          sources: sources.map((src) => ({ type: src.type, present: src.index !== -1 })),
          cel: celSpec,
          output: columns.map((c, j) => ({ ...c, from: slotOf(picks[j]!), ...(sameTypeCast(j) ? { cast: true } : {}) })),
        }
      : undefined;
  // By output: JSON lines, or values.
  const kernelsCompiled = new Map<boolean, BoundKernel | undefined>();
  // Absent columns are null on the fast path too.
  sources.forEach((src, i) => {
    if (src.index === -1) work[i] = null;
  });

  return {
    columns,
    extra: undefined,
    inputColumns: sources.map((src) => ({ name: src.name, type: src.type, index: src.index })),
    values: identity ? work : values,
    texts: identity ? rawText : texts,
    failures,
    warnings,
    process(fields, object) {
      failures.length = 0;
      warnings.length = 0;
      for (let i = 0; i < nSources; i++) {
        const src = sources[i]!;
        let raw: string | undefined;
        if (fields) raw = src.index === -1 ? undefined : fields[src.index];
        else {
          // Own keys only: a missing "constructor" key is missing, not Object's constructor.
          const v = Object.hasOwn(object!, src.key) ? object![src.key] : undefined;
          raw = v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
        }
        const v = src.check(raw, failures);
        work[i] = v;
        rawText[i] = numeric[i] && v !== null && isJsonNumber(raw!) ? raw : undefined;
      }
      if (fields && expectedFields && fields.length !== expectedFields) {
        failures.push({ rule: 'columns', value: String(fields.length), message: `expected ${expectedFields} fields, found ${fields.length}` });
      }
      this.extra = undefined;
      if (unknownKeys && object) {
        let extra = '';
        for (const k of Object.keys(object)) {
          if (known.has(k)) continue;
          if (unknownKeys === 'reject') failures.push({ column: k, rule: 'unknownColumns', message: `key "${k}" is not in the schema` });
          else if (outputNames.has(k)) failures.push({ column: k, rule: 'unknownColumns', message: `kept key "${k}" collides with the output column of that name` });
          else extra += `${extra ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(object[k])}`;
        }
        if (extra) this.extra = extra;
      }
      for (let k = 0; k < keepUnknown.length; k++) {
        const v = fields![keepUnknown[k]!.index];
        work[nSources + k] = v === undefined || nulls.has(v) ? null : v;
      }
      return finish();
    },
    kernel:
      kernelSpec &&
      ((sinks) => {
        // Compiled on first use (the sinks give the rules' columns), then only bound: one warm-up per worker.
        const toValues = sinks.write !== undefined;
        if (!kernelsCompiled.has(toValues)) kernelsCompiled.set(toValues, compileRowKernel(kernelSpec, sinks));
        return kernelsCompiled.get(toValues)?.bind(sinks);
      }),
    processLine: lineReader
      ? (T, s, e, q) => {
          failures.length = 0;
          warnings.length = 0;
          if (!lineReader(T, s, e, work, rawText, q)) return SLOW;
          const outcome = finish();
          // The general path gives a reject its record and every reason.
          return outcome === Outcome.REJECT ? SLOW : outcome;
        }
      : undefined,
  };

  /** After the row's cells are read: rules, derives, filter, then select and cast. */
  function finish(): Outcome {
    if (failures.length) return reject();

    if (usesCel) {
      const outcome = celOutcome();
      if (outcome !== Outcome.OUT) return outcome;
    }
    if (!identity) {
      for (let j = 0; j < picks.length; j++) {
        const w = picks[j]!;
        const cj = casts[j];
        texts[j] = cj ? undefined : rawText[w];
        if (!cj) {
          values[j] = work[w]!;
          continue;
        }
        const v = cast(work[w]!, cj, working[w]!.type);
        if (v !== undefined) {
          values[j] = v;
          continue;
        }
        const text = String(cast(work[w]!, 'string', working[w]!.type));
        failures.push({ column: working[w]!.name, rule: 'cast', value: text, message: `"${text}" cannot be cast to ${cj}` });
      }
      if (failures.length) return reject();
    }
    return Outcome.OUT;
  }

  /** Rules, derives and filter: compiled to JS where the compiler covers them, the interpreter for the rest. */
  function celOutcome(): Outcome {
    if (celStep) {
      try {
        const outcome = celStep(work, warnings);
        if (outcome === CelStep.OUT) {
          for (let d = 0; d < derived.length; d++) rawText[derivedBase + d] = undefined;
          return Outcome.OUT;
        }
        if (outcome === CelStep.FILTERED) return Outcome.FILTERED;
      } catch (e) {
        if (e !== CEL_BAIL) throw e;
      }
      // Unsure, or a reject: the interpreter gives the exact value or reason.
      warnings.length = 0;
    }
    return interpreted();
  }

  function interpreted(): Outcome {
    for (let c = 0; c < celColumns.length; c++) {
      const col = celColumns[c]!;
      context[col.name] = toCel(work[col.i]!, col.type);
    }
    for (const r of rules) {
      let ok: unknown;
      try {
        ok = r.program(context);
      } catch (e) {
        ok = e;
      }
      if (ok === true) continue;
      if (r.severity === 'warn') warnings.push(r.name);
      else failures.push({ rule: r.name, message: ok instanceof Error ? `${r.message} (${ok.message.split('\n')[0]})` : r.message });
    }
    if (failures.length) return reject();
    const base = nSources + keepUnknown.length;
    for (let d = 0; d < derived.length; d++) {
      const dv = derived[d]!;
      try {
        const v = dv.program(context);
        context[dv.name] = v;
        const cell = fromCelAs(v, dv.type);
        if (cell !== null && typeof cell === 'object') {
          failures.push({ column: dv.name, rule: `derive.${dv.name}`, message: `derived value ${cell.mismatch}` });
          work[base + d] = null;
        } else work[base + d] = cell;
        // A list or map is JSON text the writers copy; a string result stays a string, whatever it looks like.
        rawText[base + d] = dv.type === 'json' && typeof v === 'object' && v !== null && !(v instanceof Date) ? (cell as string) : undefined;
      } catch (e) {
        failures.push({ rule: `derive.${dv.name}`, message: (e as Error).message.split('\n')[0]! });
      }
    }
    if (failures.length) return reject();
    if (filter) {
      let keep: unknown;
      try {
        keep = filter(context);
      } catch (e) {
        failures.push({ rule: 'filter', message: (e as Error).message.split('\n')[0]! });
        return reject();
      }
      if (keep !== true) return Outcome.FILTERED;
    }
    return Outcome.OUT;
  }
}

const DAY_MS = 86_400_000;
const orUndefined = (n: number): number | undefined => (Number.isNaN(n) ? undefined : n);

/**
 * `v`, a cell of column type `from`, as type `to`; undefined when it is not one. Casts never
 * guess: text must spell the whole value as the column type of `to` reads it (no "12abc" → 12), a
 * number becomes an integer only when whole, a boolean only from 1 or 0, a timestamp a date only
 * at midnight. Times are epoch ms, and text as ISO 8601; true and false count as 1 and 0.
 */
function cast(v: Value, to: ColumnTypeName, from: OutputColumn['type']): Value | undefined {
  if (v === null) return null;
  const time = from === 'timestamp' || from === 'date';
  switch (to) {
    case 'string':
    case 'enum':
      if (typeof v === 'number' && from === 'timestamp') return formatIso(v);
      if (typeof v === 'number' && from === 'date') return formatIso(v).slice(0, 10);
      return String(v);
    case 'integer':
      if (typeof v === 'string') return orUndefined(parseIntegerText(v));
      if (typeof v === 'boolean') return v ? 1 : 0;
      return Number.isSafeInteger(v) ? v : undefined;
    case 'number':
      if (typeof v === 'string') return orUndefined(parseNumberText(v));
      if (typeof v === 'boolean') return v ? 1 : 0;
      return v;
    case 'boolean':
      if (typeof v === 'string') return parseBooleanText(v);
      if (typeof v === 'boolean') return v;
      return time ? undefined : v === 1 ? true : v === 0 ? false : undefined;
    case 'timestamp':
      if (typeof v === 'string') return orUndefined(parseIsoTimestamp(v));
      return time && typeof v === 'number' ? v : undefined;
    case 'date':
      if (typeof v === 'string') return orUndefined(parseIsoDate(v));
      return time && typeof v === 'number' && v % DAY_MS === 0 ? v : undefined;
  }
}

/** Why a header does not fit the schema: the columns it lacks, the closest names, and what it holds. */
function missingColumns(missing: readonly string[], header: readonly string[], schemaColumns: number): string {
  const each = missing.map((m) => `"${m}"${didYouMean(m, header)}`).join(', ');
  const hint = header.length === 1 && schemaColumns > 1 ? ' (one field: is format.delimiter right?)' : '';
  const shown = header.length > 12 ? `${header.slice(0, 12).join(', ')}, …` : header.join(', ');
  return `${missing.length === 1 ? 'column' : 'columns'} ${each} not in the header, which has ${header.length} field(s)${hint}: ${shown}; a column that may be absent needs allowMissing: true`;
}
