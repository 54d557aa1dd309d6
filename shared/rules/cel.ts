import { Environment } from '@marcbachmann/cel-js';
import type { Column, ColumnTypeName } from '../config/schema.js';
import { ConfigError } from '../errors.js';
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

/** The CEL variables of a pipeline's schema columns: a column that is not required may be null. */
export function columnVariables(columns: Readonly<Record<string, Column>>): CelVariable[] {
  return Object.entries(columns).map(([name, c]) => ({ name, type: c.type, nullable: !c.required }));
}

/** A CEL environment whose variables are the row's columns. Column names that are not CEL identifiers are left out. */
export function celEnvironment(variables: readonly CelVariable[]): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: false });
  for (const v of variables) {
    if (IDENTIFIER.test(v.name)) env.registerVariable(v.name, v.nullable ? 'dyn' : CEL_TYPES[v.type]);
  }
  return env;
}

/** Parses and type-checks an expression; any problem is a ConfigError at `path`. */
export function compileCel(env: Environment, expr: string, path: string, expect?: 'bool'): CelProgram {
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
  return program;
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

function firstLine(e: unknown): string {
  return String((e as Error | undefined)?.message ?? e).split('\n')[0]!;
}
