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

/**
 * Rules, derives and filter of a row as one generated function over the row's cells: a failing
 * `error` rule or anything unusual returns FALLBACK (so rejects keep the interpreter's reasons),
 * and a bail throws `CEL_BAIL`. Undefined when some expression is outside the compiler; the
 * pipeline then keeps the interpreter for all of them.
 */
export function compileCelStep(spec: CelStepSpec): ((W: Value[], warnings: string[]) => CelStep) | undefined {
  const variables: CelJsVariable[] = spec.columns.map((c, i) => ({ name: c.name, type: celJsType(c.type), nullable: c.nullable, js: `v${i}` }));
  const constants: unknown[] = [];
  const constant = (value: unknown) => `K[${constants.push(value) - 1}]`;
  const compile = (expr: string) => compileCelToJs(spec.env, expr, variables, { runtime: 'RT', constant });
  const lines = spec.columns.map((c, i) => `const v${i} = W[${c.slot}];`);
  for (const r of spec.rules) {
    const code = compile(r.expr);
    if (!code) return undefined;
    lines.push(r.severity === 'warn' ? `if ((${code.js}) !== true) warnings.push(${JSON.stringify(r.name)});` : `if ((${code.js}) !== true) return ${CelStep.FALLBACK};`);
  }
  // Later expressions naming a derived column are left to the interpreter (compile fails on them).
  spec.derives.forEach((d, j) => {
    variables.push({ name: d.name, type: 'dyn', nullable: true, js: `d${j}` });
  });
  for (const [j, d] of spec.derives.entries()) {
    const code = compile(d.expr);
    if (!code || !fits(code.kind, d.type)) return undefined;
    lines.push(`const d${j} = ${code.js};`);
    // A double that is not finite is a reject with the interpreter's reason.
    if (code.kind === 'double' && d.type === 'number') lines.push(`if (d${j} !== null && !Number.isFinite(d${j})) return ${CelStep.FALLBACK};`);
    lines.push(`W[${d.slot}] = d${j};`);
  }
  if (spec.filter !== undefined) {
    const code = compile(spec.filter);
    if (!code) return undefined;
    lines.push(`if ((${code.js}) !== true) return ${CelStep.FILTERED};`);
  }
  lines.push(`return ${CelStep.OUT};`);
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
