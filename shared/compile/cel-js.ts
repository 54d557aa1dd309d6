import type { Environment } from '@marcbachmann/cel-js';
import type { ColumnTypeName } from '../config/schema.js';
import { compileCall, compileMethod } from './cel-js-calls.js';
import { type Code, type Kind, type Scope, Emitter, NOT_COVERED, celTypeName, kindOfCelType, notCovered } from './cel-js-code.js';
import {
  type CelNode,
  compileArithmetic,
  compileEquality,
  compileIn,
  compileLogical,
  compileOrdering,
  compileTernary,
  compileUnary,
  compileValue,
  narrow,
  nonNullWhen,
} from './cel-js-operators.js';
import { celRuntime } from './cel-runtime.js';

/** A column as compiled code sees it: its type, whether it may be null, and the JS local holding its value. */
export interface CelJsVariable {
  readonly name: string;
  /** 'dyn': a value of unknown representation; such a variable can only be tested with `== null` / `!= null`. */
  readonly type: 'int' | 'double' | 'bool' | 'string' | 'timestamp' | 'dyn';
  readonly nullable: boolean;
  /** A JS identifier, e.g. 'v3'. */
  readonly js: string;
}

const COLUMN_TYPES: Readonly<Record<ColumnTypeName, CelJsVariable['type']>> = {
  integer: 'int',
  number: 'double',
  boolean: 'bool',
  string: 'string',
  enum: 'string',
  date: 'timestamp',
  timestamp: 'timestamp',
};

/** The compiled-code type of a column of schema type `type` (a date is a timestamp at midnight UTC, as toCel makes it). */
export function celJsType(type: ColumnTypeName): CelJsVariable['type'] {
  return COLUMN_TYPES[type];
}

/** What a compiled expression yields at run time: a value of `kind`, or null when `nullable`. */
export type CelJsKind = 'int' | 'double' | 'bool' | 'string' | 'timestamp' | 'null';

/** An expression compiled to JS. */
export interface CompiledCelJs {
  /** A JS expression over the variables' locals, the runtime identifier and the constants identifier. */
  readonly js: string;
  /** CEL's static type of the expression, as cel-js's checker names it ('bool', 'dyn', 'google.protobuf.Timestamp', …). */
  readonly type: string;
  /** The kind of the value `js` yields (more precise than `type` when that is dyn). */
  readonly kind: CelJsKind;
  readonly nullable: boolean;
  /** Whether `js` can bail at all. */
  readonly bails: boolean;
  /** Values `js` names as `<constants>[i]` (precompiled regexes, literal lists); empty when `options.constant` named them. */
  readonly constants: readonly unknown[];
}

export interface CelJsOptions {
  /** The identifier bound to `celRuntime` where the code runs; default 'celRt'. */
  readonly runtime?: string;
  /** The identifier bound to `constants`; default 'celK'. */
  readonly constants?: string;
  /** Names a constant in the caller's own generated code instead (returns a JS expression); `constants` is then empty. */
  readonly constant?: (value: unknown) => string;
}

/** The runtime identifier compiled code uses unless told otherwise. */
export const CEL_RUNTIME_NAME = 'celRt';
/** The constants identifier compiled code uses unless told otherwise. */
export const CEL_CONSTANTS_NAME = 'celK';

const JS_IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const BINARY_ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const ORDERING = new Set(['<', '<=', '>', '>=']);
const SWAP_LIMIT = 32;

/**
 * Compiles a CEL expression (checked against `env`, whose variables are `variables`) to one JS
 * expression, or undefined when some node is outside what the compiler covers (the caller then
 * keeps cel-js for it).
 *
 * Values in the code: int and double as numbers (an int local must hold a safe integer; -0 reads as 0), bool,
 * string, timestamp as integral epoch ms, null as null. The result of `js` is one of these, of
 * `kind`. The code allocates nothing of its own (a string result or concatenation aside), makes no
 * closures and has no try/catch; it calls `<runtime>.bail()`, which throws `CEL_BAIL`, wherever
 * its value could differ from cel-js's, including every case where cel-js raises an error. The
 * caller catches `CEL_BAIL` and evaluates that row with the interpreter.
 */
export function compileCelToJs(env: Environment, expr: string, variables: readonly CelJsVariable[], options: CelJsOptions = {}): CompiledCelJs | undefined {
  const runtime = options.runtime ?? CEL_RUNTIME_NAME;
  const constantsName = options.constants ?? CEL_CONSTANTS_NAME;
  for (const v of variables) {
    if (!JS_IDENTIFIER.test(v.js) || v.js === runtime || v.js === constantsName) throw new TypeError(`CEL variable ${v.name}: "${v.js}" cannot be a JS local here`);
  }
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(expr);
  } catch {
    return undefined;
  }
  const checked = parsed.check();
  if (!checked.valid) return undefined;
  const e = new Emitter(runtime, constantsName, options.constant);
  const vars = new Map<string, Code>();
  for (const v of variables) {
    const kind: Kind = v.type;
    vars.set(v.name, { js: v.js, kind, nullable: v.nullable, bails: false, simple: true });
  }
  let code: Code;
  try {
    code = compileNode(e, env, parsed.ast as unknown as CelNode, { vars, nonNull: new Set() });
  } catch (err) {
    if (err === NOT_COVERED) return undefined;
    throw err;
  }
  if (code.kind === 'dyn') return undefined;
  return { js: code.js, type: checked.type ?? 'dyn', kind: code.kind, nullable: code.nullable || code.kind === 'null', bails: code.bails, constants: e.constants };
}

function compileNode(e: Emitter, env: Environment, node: CelNode, scope: Scope): Code {
  const compile = (n: CelNode, s: Scope): Code => compileNode(e, env, n, s);
  // An operand of an operator other than `==`: a value of unknown representation is not covered.
  const operand = (n: CelNode, s: Scope = scope): Code => {
    const c = compile(n, s);
    return c.kind === 'dyn' ? notCovered() : c;
  };
  if (--e.budget < 0) notCovered();
  // An alternate is a constant of the environment (`google`, `cel`) or, on a method call, a macro's comprehension.
  if (node.meta?.alternate && node.op !== 'rcall') notCovered();
  const op = node.op;
  const pair = (): [CelNode, CelNode] => node.args as [CelNode, CelNode];
  switch (op) {
    case 'value':
      return compileValue(node.args);
    case 'id':
      return compileId(node, scope);
    case '==':
    case '!=':
      return compileEquality(e, op, compile(pair()[0], scope), compile(pair()[1], scope));
    case '&&':
    case '||': {
      const [l, r] = pair();
      const left = operand(l);
      const right = operand(r, narrow(scope, nonNullWhen(l, op === '&&')));
      // CEL's && and || are commutative, errors included: when only the left side may bail, test
      // the (small) right side first, compiled without what the left would have told, so that
      // `x > 5 || x == null` bails on no row. Only the small side is compiled twice.
      if (e.condBails(left) && !e.condBails(right) && nodeCount(r, SWAP_LIMIT) <= SWAP_LIMIT) {
        const first = operand(r);
        if (!e.condBails(first)) return compileLogical(e, op, first, left);
      }
      return compileLogical(e, op, left, right);
    }
    case '!_':
    case '-_':
      return compileUnary(e, op, operand(node.args as CelNode));
    case '?:': {
      const [c, x, y] = node.args as [CelNode, CelNode, CelNode];
      return compileTernary(e, operand(c), compile(x, narrow(scope, nonNullWhen(c, true))), compile(y, narrow(scope, nonNullWhen(c, false))));
    }
    case 'in': {
      const [x, list] = pair();
      if (list.op !== 'list') notCovered();
      return compileIn(e, compile(x, scope), (list.args as CelNode[]).map((n) => operand(n)));
    }
    case 'call':
      return compileCall(e, env, node, scope, compile);
    case 'rcall':
      return compileMethod(e, node, scope, compile);
    default:
      if (BINARY_ARITHMETIC.has(op)) return compileArithmetic(e, op, operand(pair()[0]), operand(pair()[1]), kindOfCelType(node.checkedType?.name));
      if (ORDERING.has(op)) return compileOrdering(e, op, operand(pair()[0]), operand(pair()[1]));
      return notCovered(); // field access, indexing, list and map results, comprehensions
  }
}

/** The nodes under `node`, counting no further than `limit`. */
function nodeCount(node: unknown, limit: number): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => (n > limit ? n : n + nodeCount(x, limit - n)), 0);
  if (node === null || typeof node !== 'object' || !('op' in node)) return 0;
  return 1 + nodeCount((node as CelNode).args, limit - 1);
}

function compileId(node: CelNode, scope: Scope): Code {
  const name = node.args as string;
  const v = scope.vars.get(name) ?? notCovered();
  // A variable the environment declares with a concrete type must be held as that type.
  const declared = node.checkedType?.name;
  if (declared !== undefined && declared !== 'dyn' && (v.kind === 'dyn' || declared !== celTypeName(v.kind))) notCovered();
  return v.nullable && scope.nonNull.has(name) ? { ...v, nullable: false } : v;
}

/** A compiled expression as a function of its variables' locals, in `variables` order. */
export interface CelJsFunction {
  (...locals: unknown[]): unknown;
  readonly compiled: CompiledCelJs;
}

/**
 * compileCelToJs wrapped in `new Function` with the runtime and constants bound: for tests and for
 * callers that generate no code around the expression. The function throws `CEL_BAIL` on a bail.
 */
export function compileCelFunction(env: Environment, expr: string, variables: readonly CelJsVariable[]): CelJsFunction | undefined {
  const compiled = compileCelToJs(env, expr, variables);
  if (!compiled) return undefined;
  const params = variables.map((v) => v.js).join(', ');
  const factory = new Function(CEL_RUNTIME_NAME, CEL_CONSTANTS_NAME, `'use strict';\nreturn function celExpression(${params}) {\n  return ${compiled.js};\n};`) as (
    runtime: typeof celRuntime,
    constants: readonly unknown[],
  ) => (...locals: unknown[]) => unknown;
  return Object.assign(factory(celRuntime, compiled.constants), { compiled });
}
