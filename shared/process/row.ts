import type { ColumnTypeName, Pipeline } from '../config/schema.js';
import { ConfigError, InputError } from '../errors.js';
import { compileColumn, isJsonNumber, type ColumnCheck, type Failure, type Value } from '../rules/columns.js';
import { celEnvironment, compileCel, fromCel, toCel, type CelProgram } from '../rules/cel.js';

/** An output column: its name and type as writers need them. */
export interface OutputColumn {
  readonly name: string;
  readonly type: ColumnTypeName | 'json';
}

export const Outcome = { OUT: 0, REJECT: 1, FILTERED: 2 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

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
  readonly values: Value[];
  /** Per output column: the input text when it is already a JSON number, so writers can copy it. */
  readonly texts: (string | undefined)[];
  readonly failures: Failure[];
  readonly warnings: string[];
}

interface SourceColumn {
  name: string;
  type: ColumnTypeName;
  index: number;
  key: string;
  check: ColumnCheck;
}

/**
 * Compiles a pipeline's column checks, CEL rules and transforms against a header.
 * `header` is undefined for JSONL (columns are read by name).
 */
export function compileRowProcessor(p: Pipeline, header: readonly string[] | undefined, at = 'pipeline', file = 'input'): RowProcessor {
  const nulls = new Set(p.format.nullValues);
  const sources: SourceColumn[] = Object.entries(p.schema.columns).map(([name, c]) => {
    const key = c.source ?? name;
    const index = header ? header.indexOf(key) : -1;
    if (header && index === -1 && c.required) {
      throw new InputError(file, 1, `required column "${key}" is missing from the header`);
    }
    return { name, type: c.type, index, key, check: compileColumn(name, c, nulls, `${at}.schema.columns.${name}`) };
  });
  const known = new Set(sources.map((s) => s.key));
  const unknown = header ? header.map((h, index) => ({ name: h, index })).filter((h) => !known.has(h.name)) : [];
  if (header) {
    const seen = new Set<string>();
    header.forEach((h, i) => {
      if (h.trim() === '') throw new InputError(file, 1, `header column ${i + 1} has no name`);
      if (seen.has(h)) throw new InputError(file, 1, `duplicate header name "${h}"`);
      seen.add(h);
    });
  }
  const keepUnknown = p.schema.unknownColumns === 'keep' ? unknown : [];
  if (p.schema.unknownColumns === 'reject' && unknown.length) {
    throw new InputError(file, 1, `columns not in the schema: ${unknown.map((u) => u.name).join(', ')}`);
  }

  const env = celEnvironment(sources.map((s) => ({ name: s.name, type: s.type, nullable: !p.schema.columns[s.name]!.required })));
  const rules = p.rules.row.map((r, i) => ({
    name: r.name,
    severity: r.severity,
    message: r.message ?? `rule ${r.name} failed: ${r.expr}`,
    program: compileCel(env, r.expr, `${at}.rules.row[${i}].expr`, 'bool'),
  }));
  const derived: { name: string; program: CelProgram }[] = [];
  for (const [name, expr] of Object.entries(p.transform.derive ?? {})) {
    derived.push({ name, program: compileCel(env, expr, `${at}.transform.derive.${name}`) });
    env.registerVariable(name, 'dyn');
  }
  const filter = p.transform.filter !== undefined ? compileCel(env, p.transform.filter, `${at}.transform.filter`, 'bool') : undefined;
  const usesCel = rules.length > 0 || derived.length > 0 || filter !== undefined;

  // Output plan: every column of the working row, then select, cast and rename.
  const working: { name: string; type: OutputColumn['type'] }[] = [
    ...sources.map((s) => ({ name: s.name, type: s.type as OutputColumn['type'] })),
    ...keepUnknown.map((u) => ({ name: u.name, type: 'string' as const })),
    ...derived.map((d) => ({ name: d.name, type: 'json' as const })),
  ];
  const selected = p.transform.select ?? working.map((w) => w.name);
  const picks = selected.map((name, j) => {
    const index = working.findIndex((w) => w.name === name);
    if (index === -1) throw new ConfigError(`${at}.transform.select[${j}]`, `unknown column "${name}"`);
    return index;
  });
  const casts = picks.map((i) => p.transform.cast?.[working[i]!.name]);
  const columns: OutputColumn[] = picks.map((i, j) => ({
    name: p.transform.rename?.[working[i]!.name] ?? working[i]!.name,
    type: casts[j] ?? working[i]!.type,
  }));

  const nSources = sources.length;
  const numeric = sources.map((src) => src.type === 'number' || src.type === 'integer');
  const context: Record<string, unknown> = {};
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

  return {
    columns,
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
          const v = object![src.key];
          raw = v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
        }
        const v = src.check(raw, failures);
        work[i] = v;
        rawText[i] = numeric[i] && v !== null && isJsonNumber(raw!) ? raw : undefined;
      }
      if (fields && header && fields.length !== header.length) {
        failures.push({ rule: 'columns', value: String(fields.length), message: `expected ${header.length} fields, found ${fields.length}` });
      }
      for (let k = 0; k < keepUnknown.length; k++) {
        const v = fields![keepUnknown[k]!.index];
        work[nSources + k] = v === undefined || nulls.has(v) ? null : v;
      }
      if (failures.length) return reject();

      if (usesCel) {
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
          try {
            const v = derived[d]!.program(context);
            context[derived[d]!.name] = v;
            work[base + d] = fromCel(v);
          } catch (e) {
            failures.push({ rule: `derive.${derived[d]!.name}`, message: (e as Error).message.split('\n')[0]! });
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
      }
      if (!identity) {
        for (let j = 0; j < picks.length; j++) {
          const w = picks[j]!;
          const cj = casts[j];
          values[j] = cj ? cast(work[w]!, cj, working[w]!.type) : work[w]!;
          texts[j] = cj ? undefined : rawText[w];
        }
      }
      return Outcome.OUT;
    },
  };
}

function cast(v: Value, to: ColumnTypeName, from: OutputColumn['type']): Value {
  if (v === null) return null;
  switch (to) {
    case 'string':
      if (from === 'timestamp' && typeof v === 'number') return new Date(v).toISOString();
      if (from === 'date' && typeof v === 'number') return new Date(v).toISOString().slice(0, 10);
      return String(v);
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : typeof v === 'boolean' ? Number(v) : Number.parseInt(String(v), 10);
    case 'number':
      return Number(v);
    case 'boolean':
      return v === true || v === 1 || v === 'true';
    default:
      return v;
  }
}
