import type { Environment } from '@marcbachmann/cel-js';
import type { ColumnTypeName } from '../config/schema.js';
import type { Value } from '../rules/columns.js';
import { celJsType, compileCelToJs, type CelJsKind, type CelJsVariable } from './cel-js.js';
import { celRuntime } from './cel-runtime.js';

/** What the compiled step says of a row; FALLBACK: evaluate it with the interpreter, which gives the exact reasons. */
export const CelStep = { OUT: 0, FILTERED: 2, FALLBACK: 4 } as const;
export type CelStep = (typeof CelStep)[keyof typeof CelStep];

export interface CelStepSpec {
  /** The environment the interpreter compiles the same expressions with. */
  readonly env: Environment;
  /** Schema columns the expressions may name, with their slot in the row. */
  readonly columns: readonly { readonly name: string; readonly type: ColumnTypeName; readonly nullable: boolean; readonly slot: number }[];
  readonly rules: readonly { readonly name: string; readonly severity: 'error' | 'warn'; readonly expr: string }[];
  readonly derives: readonly { readonly name: string; readonly expr: string; readonly type: ColumnTypeName | 'json'; readonly slot: number }[];
  readonly filter: string | undefined;
}

/** A row's CEL as statements over locals: what to do on a failing rule, a warning, a filtered row. */
export interface CelStepCodeOptions {
  /** The JS local of each column in `spec.columns` (in order). */
  readonly locals: readonly string[];
  /** Statement for a failing `error` rule, a derive that is not finite, and (unless `onWarn`) a warning. */
  readonly fallback: string;
  /** Statement for a failing `warn` rule, given its name as a JS string literal. */
  readonly onWarn: (name: string) => string;
  readonly onFiltered: string;
  /** Statement that stores derive `j`'s value (local `d{j}`). */
  readonly storeDerive: (j: number, slot: number) => string;
  readonly constant: (value: unknown) => string;
  /** The runtime's identifier. */
  readonly runtime: string;
}

/**
 * The statements of a row's rules, derives and filter over the locals of its cells, with the
 * kind of every derive; undefined when some expression is outside the compiler.
 */
export function celStepCode(spec: CelStepSpec, o: CelStepCodeOptions): { lines: string[]; kinds: CelJsKind[] } | undefined {
  const variables: CelJsVariable[] = spec.columns.map((c, i) => ({ name: c.name, type: celJsType(c.type), nullable: c.nullable, js: o.locals[i]! }));
  const compile = (expr: string) => compileCelToJs(spec.env, expr, variables, { runtime: o.runtime, constant: o.constant });
  const lines: string[] = [];
  const kinds: CelJsKind[] = [];
  for (const r of spec.rules) {
    const code = compile(r.expr);
    if (!code) return undefined;
    lines.push(`if ((${code.js}) !== true) ${r.severity === 'warn' ? o.onWarn(JSON.stringify(r.name)) : o.fallback}`);
  }
  // Later expressions naming a derived column are left to the interpreter (compile fails on them).
  spec.derives.forEach((d, j) => {
    variables.push({ name: d.name, type: 'dyn', nullable: true, js: `d${j}` });
  });
  for (const [j, d] of spec.derives.entries()) {
    const code = compile(d.expr);
    if (!code || !fits(code.kind, d.type)) return undefined;
    kinds.push(code.kind);
    lines.push(`const d${j} = ${code.js};`);
    // A double that is not finite is a reject with the interpreter's reason.
    if (code.kind === 'double' && d.type === 'number') lines.push(`if (d${j} !== null && !Number.isFinite(d${j})) ${o.fallback}`);
    lines.push(o.storeDerive(j, d.slot));
  }
  if (spec.filter !== undefined) {
    const code = compile(spec.filter);
    if (!code) return undefined;
    lines.push(`if ((${code.js}) !== true) ${o.onFiltered}`);
  }
  return { lines, kinds };
}

/**
 * Rules, derives and filter of a row as one generated function over the row's cells: a failing
 * `error` rule or anything unusual returns FALLBACK (so rejects keep the interpreter's reasons),
 * and a bail throws `CEL_BAIL`. Undefined when some expression is outside the compiler; the
 * pipeline then keeps the interpreter for all of them.
 */
export function compileCelStep(spec: CelStepSpec): ((W: Value[], warnings: string[]) => CelStep) | undefined {
  const constants: unknown[] = [];
  const code = celStepCode(spec, {
    locals: spec.columns.map((_, i) => `v${i}`),
    fallback: `return ${CelStep.FALLBACK};`,
    onWarn: (name) => `warnings.push(${name});`,
    onFiltered: `return ${CelStep.FILTERED};`,
    storeDerive: (j, slot) => `W[${slot}] = d${j};`,
    constant: (value) => `K[${constants.push(value) - 1}]`,
    runtime: 'RT',
  });
  if (!code) return undefined;
  const lines = [...spec.columns.map((c, i) => `const v${i} = W[${c.slot}];`), ...code.lines, `return ${CelStep.OUT};`];
  const body = `'use strict';\nreturn function celStep(W, warnings) {\n${lines.join('\n')}\n};`;
  return new Function('RT', 'K', body)(celRuntime, constants) as (W: Value[], warnings: string[]) => CelStep;
}

/** Whether a compiled value of `kind` is the cell the interpreter's value becomes for an output column of `type`. */
function fits(kind: CelJsKind, type: ColumnTypeName | 'json'): boolean {
  switch (type) {
    case 'integer':
      return kind === 'int' || kind === 'null';
    case 'number':
      return kind === 'double' || kind === 'null';
    case 'boolean':
      return kind === 'bool' || kind === 'null';
    case 'string':
      return kind === 'string' || kind === 'null';
    case 'timestamp':
      return kind === 'timestamp' || kind === 'null';
    case 'json':
      // A timestamp would be ISO text there; ints, doubles, bools, strings and null are cells as they are.
      return kind !== 'timestamp';
    default:
      return false;
  }
}
