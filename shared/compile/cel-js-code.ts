/**
 * The pieces the CEL → JS compiler builds with: a compiled node (`Code`), the scope it is compiled
 * in, and the emitter that names the runtime and the constants. Internal to shared/compile.
 */

/** How a value is held at run time: its CEL type when not null ('null' when it is always null). 'dyn' is a value of unknown representation. */
export type Kind = 'int' | 'double' | 'bool' | 'string' | 'timestamp' | 'null' | 'dyn';

/** A compiled sub-expression. */
export interface Code {
  readonly js: string;
  readonly kind: Kind;
  /** May be null at run time (besides `kind === 'null'`, which always is). */
  readonly nullable: boolean;
  /** May call bail when evaluated. */
  readonly bails: boolean;
  /** A local or a literal: cheap to repeat, never bails. */
  readonly simple: boolean;
  /** The value of a literal (a timestamp as epoch ms). */
  readonly literal?: { readonly value: unknown };
}

/** The names in reach and those known not to be null where the code runs. */
export interface Scope {
  readonly vars: ReadonlyMap<string, Code>;
  readonly nonNull: ReadonlySet<string>;
}

/** Thrown (internally) when a node is outside what the compiler covers; compileCelToJs returns undefined. */
export const NOT_COVERED = Symbol('not covered');

export function notCovered(): never {
  throw NOT_COVERED;
}

/** Names the runtime helpers and collects the constants (precompiled regexes, literal lists) of one expression. */
export class Emitter {
  readonly constants: unknown[] = [];
  /** Nodes left to compile: unrolled macros repeat their predicate, and the code must stay small. */
  budget = 10_000;
  constructor(
    readonly runtime: string,
    private readonly constantsName: string,
    private readonly external?: (value: unknown) => string,
  ) {}

  /** A JS expression naming `value`, which must not change. */
  constant(value: unknown): string {
    if (this.external) return this.external(value);
    this.constants.push(value);
    return `${this.constantsName}[${this.constants.length - 1}]`;
  }

  /** A call of runtime helper `name`. */
  call(name: string, ...args: string[]): string {
    return `${this.runtime}.${name}(${args.join(', ')})`;
  }

  /** Code that always bails, standing for a value of `kind`: the interpreter would raise an error here. */
  bail(kind: Kind): Code {
    return { js: this.call('bail'), kind, nullable: false, bails: true, simple: false };
  }

  /** The value of `c`, bailing when it is null. */
  nn(c: Code): string {
    if (c.kind === 'dyn') notCovered();
    if (c.kind === 'null') return this.call('bail');
    if (!c.nullable) return c.js;
    return c.simple ? `(${c.js} === null ? ${this.call('bail')} : ${c.js})` : this.call('nn', c.js);
  }

  /** Whether `cond(c)` may bail. */
  condBails(c: Code): boolean {
    return c.kind !== 'bool' || c.nullable || c.bails;
  }

  /** `c` as a condition: a bool, or a bail (a null or non-bool condition is an error in CEL). */
  cond(c: Code): string {
    if (c.kind === 'dyn') notCovered();
    return c.kind === 'bool' ? this.nn(c) : this.call('bail');
  }
}

export const isNumeric = (k: Kind): boolean => k === 'int' || k === 'double';

/** Code of `kind` that is never null. */
export function value(js: string, kind: Kind, bails: boolean): Code {
  return { js, kind, nullable: false, bails, simple: false };
}

/** A literal. */
export function literal(v: unknown, kind: Kind): Code {
  return { js: jsLiteral(v), kind, nullable: v === null, bails: false, simple: true, literal: { value: v } };
}

/** JS source for a literal value; negative numbers are parenthesized so that `-` and `(` may precede them. */
export function jsLiteral(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v !== 'number') notCovered();
  if (Number.isNaN(v)) return '(0 / 0)';
  if (v === Infinity) return '(1 / 0)';
  if (v === -Infinity) return '(-1 / 0)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${v})` : String(v);
}

/** The CEL type name of a kind, as cel-js's checker names it. */
export function celTypeName(k: Kind): string {
  return k === 'timestamp' ? 'google.protobuf.Timestamp' : k === 'null' ? 'null' : k;
}

/** The kind of a CEL type name, for a checked type the compiler can hold. */
export function kindOfCelType(name: string | undefined): Kind | undefined {
  switch (name) {
    case 'int':
    case 'double':
    case 'bool':
    case 'string':
    case 'null':
      return name;
    case 'google.protobuf.Timestamp':
      return 'timestamp';
    default:
      return undefined;
  }
}
