import { type Code, type Emitter, type Kind, type Scope, isNumeric, literal, notCovered, value } from './cel-js-code.js';

/** The slice of a cel-js AST node the compiler reads (after `check()`, which sets `checkedType`). */
export interface CelNode {
  readonly op: string;
  readonly args: unknown;
  readonly checkedType?: { readonly name: string };
  readonly meta?: { readonly macro?: unknown; readonly alternate?: unknown };
}

export type CompileNode = (node: CelNode, scope: Scope) => Code;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A cel-js literal node as Code: int (a safe integer), double, bool, string or null. */
export function compileValue(v: unknown): Code {
  if (v === null) return literal(null, 'null');
  if (typeof v === 'boolean') return literal(v, 'bool');
  if (typeof v === 'string') return literal(v, 'string');
  if (typeof v === 'number') return literal(v, 'double');
  if (typeof v === 'bigint' && v <= MAX_SAFE && v >= -MAX_SAFE) return literal(Number(v), 'int');
  return notCovered();
}

/** Two kinds whose values `===` compares as CEL's `==` does (heterogeneous numbers included). */
function comparable(a: Kind, b: Kind): boolean {
  return a === b || (isNumeric(a) && isNumeric(b)) || a === 'null' || b === 'null';
}

/**
 * `==` and `!=`. cel-js compares equal kinds by value and int with double numerically; through
 * `dyn` values of two other kinds are unequal, and null equals only null. Both sides are always
 * evaluated, so a bail on either side is kept.
 */
export function compileEquality(e: Emitter, op: '==' | '!=', a: Code, b: Code): Code {
  const eq = op === '==' ? '===' : '!==';
  if (a.kind === 'dyn' || b.kind === 'dyn') {
    // A value of unknown representation can only be tested for null.
    const other = a.kind === 'dyn' ? b : a;
    const subject = a.kind === 'dyn' ? a : b;
    if (other.kind !== 'null') notCovered();
    return value(`(${subject.js} ${eq} null)`, 'bool', subject.bails);
  }
  const bails = a.bails || b.bails;
  if (comparable(a.kind, b.kind)) return value(`(${a.js} ${eq} ${b.js})`, 'bool', bails);
  if (a.nullable && b.nullable) return value(`${op === '!=' ? '!' : ''}${e.call('bothNull', a.js, b.js)}`, 'bool', bails);
  const constant = op === '==' ? 'false' : 'true';
  return value(bails ? `(${a.js}, ${b.js}, ${constant})` : constant, 'bool', bails);
}

/** `< <= > >=`: numbers (int and double mixed), strings, bools and timestamps; anything else is an error. */
export function compileOrdering(e: Emitter, op: string, a: Code, b: Code): Code {
  const ok = (isNumeric(a.kind) && isNumeric(b.kind)) || (a.kind === b.kind && (a.kind === 'string' || a.kind === 'bool' || a.kind === 'timestamp'));
  if (!ok) return e.bail('bool');
  return value(`(${e.nn(a)} ${op} ${e.nn(b)})`, 'bool', a.bails || b.bails || a.nullable || b.nullable);
}

/** `+ - * / %`. int arithmetic is checked (see celRuntime.int); double follows IEEE as cel-js does; `+` joins strings. */
export function compileArithmetic(e: Emitter, op: string, a: Code, b: Code, staticKind: Kind | undefined): Code {
  if (a.kind === 'int' && b.kind === 'int') {
    const x = e.nn(a);
    const y = e.nn(b);
    if (op === '/') return value(e.call('idiv', x, y), 'int', true);
    if (op === '%') return value(e.call('imod', x, y), 'int', true);
    return value(e.call('int', `${x} ${op} ${y}`), 'int', true);
  }
  const bails = a.bails || b.bails || a.nullable || b.nullable;
  if (a.kind === 'double' && b.kind === 'double' && op !== '%') return value(`(${e.nn(a)} ${op} ${e.nn(b)})`, 'double', bails);
  if (a.kind === 'string' && b.kind === 'string' && op === '+') return value(`(${e.nn(a)} + ${e.nn(b)})`, 'string', bails);
  // No overload for these kinds (reached only through dyn): an error on every row.
  return e.bail(staticKind ?? a.kind);
}

/** Unary `-` (a literal is folded) and `!`. */
export function compileUnary(e: Emitter, op: '-_' | '!_', a: Code): Code {
  if (op === '!_') return a.kind === 'bool' ? value(`(!${e.nn(a)})`, 'bool', a.bails || a.nullable) : e.bail('bool');
  if (a.literal && (a.kind === 'int' || a.kind === 'double')) return literal(a.kind === 'int' ? 0 - (a.literal.value as number) : -(a.literal.value as number), a.kind);
  if (a.kind === 'int') return value(`(0 - ${e.nn(a)})`, 'int', a.bails || a.nullable);
  if (a.kind === 'double') return value(`(-${e.nn(a)})`, 'double', a.bails || a.nullable);
  return e.bail(a.kind === 'null' || a.kind === 'dyn' ? 'int' : a.kind);
}

/** `x in [literals]`: cel-js tests each element with its equality; other kinds are never in the list. */
export function compileIn(e: Emitter, x: Code, list: readonly Code[]): Code {
  if (x.kind === 'dyn') notCovered();
  const kind = list[0]?.kind;
  if (list.some((c) => !c.literal || c.kind !== kind || c.kind === 'null')) notCovered();
  if (kind === undefined || !comparable(x.kind, kind) || x.kind === 'null') return value(x.bails ? `(${x.js}, false)` : 'false', 'bool', x.bails);
  if (x.simple && list.length <= 8) return value(`(${list.map((c) => `${x.js} === ${c.js}`).join(' || ')})`, 'bool', false);
  return value(e.call('inList', e.constant(list.map((c) => c.literal!.value)), x.js), 'bool', x.bails);
}

/** `c ? x : y`: only the branch taken runs. Both branches must hold one kind (or null). */
export function compileTernary(e: Emitter, c: Code, x: Code, y: Code): Code {
  if (x.kind === 'dyn' || y.kind === 'dyn') notCovered();
  let kind: Kind;
  if (x.kind === y.kind) kind = x.kind;
  else if (x.kind === 'null') kind = y.kind;
  else if (y.kind === 'null') kind = x.kind;
  else return notCovered(); // e.g. dyn(1) vs dyn('a'): one JS value could not say which it is
  const nullable = x.nullable || y.nullable || x.kind === 'null' || y.kind === 'null';
  return { js: `(${e.cond(c)} ? ${x.js} : ${y.js})`, kind, nullable, bails: e.condBails(c) || x.bails || y.bails, simple: false };
}

/** `&&` and `||`. JS short-circuits; a bail on the left hands the row over, which covers CEL's error absorption. */
export function compileLogical(e: Emitter, op: '&&' | '||', a: Code, b: Code): Code {
  return value(`(${e.cond(a)} ${op} ${e.cond(b)})`, 'bool', e.condBails(a) || e.condBails(b));
}

const isNullLiteral = (n: CelNode): boolean => n.op === 'value' && n.args === null;

/** Names known not to be null when `node` evaluates to `truth` (from `x == null`, `x != null`, `&&`, `||`, `!`). */
export function nonNullWhen(node: CelNode, truth: boolean): string[] {
  switch (node.op) {
    case '==':
    case '!=': {
      const [l, r] = node.args as [CelNode, CelNode];
      const id = l.op === 'id' && isNullLiteral(r) ? l.args : r.op === 'id' && isNullLiteral(l) ? r.args : undefined;
      return typeof id === 'string' && (node.op === '==') !== truth ? [id] : [];
    }
    case '&&':
    case '||': {
      if ((node.op === '&&') !== truth) return [];
      const [l, r] = node.args as [CelNode, CelNode];
      return [...nonNullWhen(l, truth), ...nonNullWhen(r, truth)];
    }
    case '!_':
      return nonNullWhen(node.args as CelNode, !truth);
    default:
      return [];
  }
}

/** `scope` with `names` known not to be null. */
export function narrow(scope: Scope, names: readonly string[]): Scope {
  if (names.length === 0) return scope;
  return { vars: scope.vars, nonNull: new Set([...scope.nonNull, ...names]) };
}
