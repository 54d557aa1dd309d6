import { Environment } from '@marcbachmann/cel-js';
import type { Column, ColumnTypeName } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { registerSluiceFunctions } from './cel-functions.js';
import type { Value } from './columns.js';

/** Longest CEL expression accepted; keeps parse and evaluation cost bounded. */
export const MAX_EXPRESSION_LENGTH = 4096;

const CEL_TYPES: Record<ColumnTypeName, string> = {
  string: 'string',
  enum: 'string',
  integer: 'int',
  number: 'double',
  boolean: 'bool',
  date: 'google.protobuf.Timestamp',
  timestamp: 'google.protobuf.Timestamp',
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface CelVariable {
  readonly name: string;
  readonly type: ColumnTypeName;
  /** Nullable columns are declared dyn so `x == null` type-checks. */
  readonly nullable: boolean;
}

export type CelProgram = (context: Record<string, unknown>) => unknown;

/** A compiled expression and the result type CEL's checker gives it ('int', 'dyn', 'list<int>', …). */
export interface CompiledCel {
  readonly program: CelProgram;
  readonly type: string;
}

/** The output column type of a CEL result type; lists, maps, dyn and the rest are written as JSON. */
const OUTPUT_TYPES: Readonly<Record<string, ColumnTypeName>> = {
  int: 'integer',
  double: 'number',
  bool: 'boolean',
  string: 'string',
  'google.protobuf.Timestamp': 'timestamp',
};

/** The column type a derived column of CEL type `celType` is written as. */
export function outputTypeOfCel(celType: string): ColumnTypeName | 'json' {
  return Object.hasOwn(OUTPUT_TYPES, celType) ? OUTPUT_TYPES[celType]! : 'json';
}

/**
 * Declares a variable unless CEL cannot name it: not an identifier, a name cel-js reserves
 * (`__proto__`, `for`, `var`, …) or one it has already declared (`type`, `string`, `map`, …). Such a
 * column is out of reach of expressions but works everywhere else. Returns whether it was declared.
 */
export function declareCelVariable(env: Environment, name: string, celType: string): boolean {
  if (!IDENTIFIER.test(name)) return false;
  try {
    env.registerVariable(name, celType);
    return true;
  } catch {
    // cel-js says which names it refuses only by throwing.
    return false;
  }
}

/** The CEL variables of a pipeline's schema columns: a column that is not required may be null. */
export function columnVariables(columns: Readonly<Record<string, Column>>): CelVariable[] {
  return Object.entries(columns).map(([name, c]) => ({ name, type: c.type, nullable: !c.required }));
}

/** A CEL environment whose variables are the row's columns. Column names that are not CEL identifiers are left out. */
export function celEnvironment(variables: readonly CelVariable[]): Environment {
  const env = registerSluiceFunctions(new Environment({ unlistedVariablesAreDyn: false }));
  for (const v of variables) declareCelVariable(env, v.name, v.nullable ? 'dyn' : CEL_TYPES[v.type]);
  return env;
}

/** Parses and type-checks an expression; any problem is a ConfigError at `path`. Returns the program and its checked result type. */
export function compileCel(env: Environment, expr: string, path: string, expect?: 'bool'): CompiledCel {
  if (expr.length > MAX_EXPRESSION_LENGTH) throw new ConfigError(path, `CEL expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let program: CelProgram;
  try {
    program = env.parse(expr) as unknown as CelProgram;
  } catch (e) {
    throw new ConfigError(path, `CEL does not parse: ${firstLine(e)}`, { cause: e });
  }
  const checked = env.check(expr) as { valid: boolean; type?: string; error?: Error };
  if (!checked.valid) throw new ConfigError(path, `CEL does not type-check: ${firstLine(checked.error)}`);
  if (expect && checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new ConfigError(path, `CEL expression must be a bool, not ${checked.type}`);
  }
  return { program, type: checked.type ?? 'dyn' };
}

/** Builds the evaluation value CEL expects for a typed cell (int as bigint, time as Date). */
export function toCel(value: Value, type: ColumnTypeName): unknown {
  if (value === null) return null;
  if (type === 'integer') return BigInt(value as number);
  if (type === 'date' || type === 'timestamp') return new Date(value as number);
  return value;
}

/** Maps a CEL result back to a cell value. */
export function fromCel(value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/**
 * Maps a CEL result to a cell of an output column `type` (see outputTypeOfCel): int as a number
 * (a safe integer), a timestamp as epoch ms, json as fromCel does. Returns a string saying why
 * when the value does not fit the type, which a dyn input can cause despite the checked type.
 */
export function fromCelAs(value: unknown, type: ColumnTypeName | 'json'): Value | { readonly mismatch: string } {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      if (typeof value !== 'bigint') break;
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return { mismatch: `${value} is outside the safe integer range` };
      return Number(value);
    case 'number':
      if (typeof value !== 'number') break;
      return Number.isFinite(value) ? value : { mismatch: `${value} is not a finite number` };
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'timestamp':
    case 'date':
      if (!(value instanceof Date)) break;
      return Number.isNaN(value.getTime()) ? { mismatch: 'is an invalid timestamp' } : value.getTime();
    default:
      return fromCel(value);
  }
  return { mismatch: `${showCel(value)} is ${celKind(value)}, not ${type}` };
}

function celKind(v: unknown): string {
  if (typeof v === 'bigint') return 'an int';
  if (typeof v === 'number') return 'a double';
  if (typeof v === 'boolean') return 'a bool';
  if (typeof v === 'string') return 'a string';
  if (v instanceof Date) return 'a timestamp';
  if (Array.isArray(v)) return 'a list';
  return 'a map';
}

function showCel(v: unknown): string {
  const text = v instanceof Date ? v.toISOString() : typeof v === 'string' ? JSON.stringify(v) : String(fromCel(v));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function firstLine(e: unknown): string {
  return String((e as Error | undefined)?.message ?? e).split('\n')[0]!;
}
