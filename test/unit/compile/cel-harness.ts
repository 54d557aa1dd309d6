import { Environment } from '@marcbachmann/cel-js';
import { type CelJsKind, type CelJsVariable, compileCelFunction } from '../../../shared/compile/cel-js.js';
import { CEL_BAIL } from '../../../shared/compile/cel-runtime.js';

/** One run of an expression through both engines, in cel-js's representation (int as bigint, timestamp as Date). */
export type Outcome = { readonly value: unknown } | { readonly error: string };
export type CompiledOutcome = Outcome | 'bail' | 'not compiled';

const CEL_TYPES = { int: 'int', double: 'double', bool: 'bool', string: 'string', timestamp: 'google.protobuf.Timestamp', dyn: 'dyn' } as const;

/** An environment declaring `variables` as Sluice does: a nullable column is dyn. */
export function environmentOf(variables: readonly CelJsVariable[]): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: false });
  for (const v of variables) env.registerVariable(v.name, v.nullable ? 'dyn' : CEL_TYPES[v.type]);
  return env;
}

/** A compiled-code value (int and timestamp as numbers) in cel-js's representation. */
export function toInterpreter(v: unknown, type: CelJsVariable['type'] | CelJsKind): unknown {
  if (v === null) return null;
  if (type === 'int') return BigInt(v as number);
  if (type === 'timestamp') return new Date(v as number);
  return v;
}

export function interpret(env: Environment, expr: string, context: Record<string, unknown>): Outcome {
  try {
    return { value: env.parse(expr)(context) };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
}

/** Runs the compiled function on compiled-code locals; the result is converted to cel-js's representation. */
export function runCompiled(env: Environment, expr: string, variables: readonly CelJsVariable[], locals: readonly unknown[]): CompiledOutcome {
  const fn = compileCelFunction(env, expr, variables);
  if (!fn) return 'not compiled';
  try {
    return { value: toInterpreter(fn(...locals), fn.compiled.kind) };
  } catch (e) {
    if (e === CEL_BAIL) return 'bail';
    return { error: `compiled code threw ${String(e)}` };
  }
}

/** Same value in cel-js's terms: numbers by Object.is (so -0 and NaN count), dates by time. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime());
  return Object.is(a, b);
}

export function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  return JSON.stringify(v) ?? String(v);
}
