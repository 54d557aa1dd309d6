import type { Environment } from '@marcbachmann/cel-js';
import { type Code, type Emitter, type Scope, literal, notCovered, value } from './cel-js-code.js';
import type { CelNode, CompileNode } from './cel-js-operators.js';
import { planRegex } from './cel-regex.js';

const TIMESTAMP_METHODS: Readonly<Record<string, string>> = {
  getFullYear: 'year',
  getMonth: 'month',
  getDate: 'date',
  getDayOfMonth: 'dayOfMonth',
  getDayOfWeek: 'dayOfWeek',
  getHours: 'hours',
  getMinutes: 'minutes',
  getSeconds: 'seconds',
  getMilliseconds: 'milliseconds',
};

// RFC 3339 as CEL reads it, with at most millisecond precision (a Date holds no more).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|[+-](\d{2}):(\d{2}))$/;
const MAX_UNROLLED = 64;

/** The global functions: dyn, int, double, string, bool, size, timestamp. */
export function compileCall(e: Emitter, env: Environment, node: CelNode, scope: Scope, compile: CompileNode): Code {
  if (node.meta?.macro) notCovered(); // has()
  const [fn, argNodes] = node.args as [string, CelNode[]];
  if (argNodes.length !== 1) notCovered();
  const a = compile(argNodes[0]!, scope);
  if (fn === 'dyn') return a;
  if (a.kind === 'dyn') notCovered();
  const x = e.nn(a);
  const bails = a.bails || a.nullable;
  switch (fn) {
    case 'int':
      if (a.kind === 'int') return value(x, 'int', bails);
      if (a.kind === 'double') return value(e.call('intOfDouble', x), 'int', true);
      if (a.kind === 'string') return value(e.call('intOfString', x), 'int', true);
      return e.bail('int');
    case 'double':
      if (a.kind === 'double') return value(x, 'double', bails);
      if (a.kind === 'int') return value(`(${x} + 0)`, 'double', bails); // an int local read from "-0" may hold -0
      if (a.kind === 'string') return value(e.call('doubleOfString', x), 'double', true);
      return e.bail('double');
    case 'string':
      if (a.kind === 'string') return value(x, 'string', bails);
      if (a.kind === 'int') return value(`("" + ${x})`, 'string', bails);
      if (a.kind === 'double') return value(e.call('stringOfDouble', x), 'string', bails);
      if (a.kind === 'bool') return value(`(${x} ? "true" : "false")`, 'string', bails);
      return e.bail('string');
    case 'bool':
      if (a.kind === 'bool') return value(x, 'bool', bails);
      if (a.kind === 'string') return value(e.call('boolOfString', x), 'bool', true);
      return e.bail('bool');
    case 'size':
      return a.kind === 'string' ? value(e.call('size', x), 'int', bails) : e.bail('int');
    case 'timestamp':
      if (a.kind === 'int') return value(e.call('timestampOfInt', x), 'timestamp', true);
      if (a.kind === 'string' && a.literal) return timestampLiteral(e, env, a.literal.value as string);
      if (a.kind === 'string') return notCovered(); // cel-js parses with Date: many more forms than RFC 3339
      return e.bail('timestamp');
    default:
      return notCovered();
  }
}

/**
 * `timestamp('…')` folded to epoch ms by cel-js itself, for strict RFC 3339 text whose digits a Date
 * holds exactly (no sub-millisecond part, no 24:00, no 31 February: a Date rolls those over).
 */
function timestampLiteral(e: Emitter, env: Environment, text: string): Code {
  const m = RFC3339.exec(text);
  if (!m) return notCovered();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const frac = m[7] ?? '';
  const daysInMonth = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (daysInMonth === undefined || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) return notCovered();
  if (/[1-9]/.test(frac.slice(3)) || Number(m[8] ?? 0) > 23 || Number(m[9] ?? 0) > 59) return notCovered();
  let date: unknown;
  try {
    date = env.evaluate(`timestamp(${JSON.stringify(text)})`);
  } catch {
    return e.bail('timestamp'); // out of CEL's range: an error on every row
  }
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return notCovered();
  return literal(date.getTime(), 'timestamp');
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Methods: string tests and size, timestamp fields (UTC only), and all/exists/exists_one over a literal list. */
export function compileMethod(e: Emitter, node: CelNode, scope: Scope, compile: CompileNode): Code {
  const [name, receiverNode, argNodes] = node.args as [string, CelNode, CelNode[]];
  const alternate = node.meta?.alternate as CelNode | undefined;
  if (alternate) return alternate.op === 'comprehension' ? compileQuantifier(e, name, receiverNode, argNodes, scope, compile) : notCovered();
  if (node.meta?.macro) notCovered();
  const r = compile(receiverNode, scope);
  const args = argNodes.map((n) => compile(n, scope));
  if (r.kind === 'dyn' || args.some((a) => a.kind === 'dyn')) notCovered();
  if (Object.hasOwn(TIMESTAMP_METHODS, name)) {
    if (args.length !== 0) notCovered(); // a time zone: cel-js goes through toLocaleString
    return r.kind === 'timestamp' ? value(e.call(TIMESTAMP_METHODS[name]!, e.nn(r)), 'int', r.bails || r.nullable) : e.bail('int');
  }
  const s = `(${e.nn(r)})`;
  const bails = r.bails || r.nullable || args.some((a) => a.bails || a.nullable);
  switch (`${name}/${args.length}`) {
    case 'size/0':
      return r.kind === 'string' ? value(e.call('size', s), 'int', bails) : e.bail('int');
    case 'lowerAscii/0':
    case 'upperAscii/0':
      return r.kind === 'string' ? value(e.call(name, s), 'string', true) : e.bail('string');
    case 'startsWith/1':
    case 'endsWith/1':
    case 'contains/1': {
      if (r.kind !== 'string' || args[0]!.kind !== 'string') return e.bail('bool');
      const method = name === 'contains' ? 'includes' : name;
      return value(`${s}.${method}(${e.nn(args[0]!)})`, 'bool', bails);
    }
    case 'matches/1': {
      const pattern = args[0]!;
      if (pattern.kind !== 'string' || !pattern.literal) return notCovered();
      const plan = planRegex(pattern.literal.value as string);
      if (!plan) return notCovered();
      if (r.kind !== 'string') return e.bail('bool');
      const regex = e.constant(plan.regex);
      if (!plan.guard) return value(`${regex}.test(${s})`, 'bool', bails);
      return value(e.call('matchGuarded', regex, e.constant(plan.guard), s), 'bool', true);
    }
    default:
      return notCovered();
  }
}

/**
 * `[…].all(x, p)`, `exists` and `exists_one` over a list of literals, unrolled. all and exists stop
 * at the first false / true as cel-js does; an error (a bail) before that hands the row over, which
 * is right whichever way cel-js would absorb it. exists_one evaluates every element (errors are fatal).
 */
function compileQuantifier(e: Emitter, name: string, receiver: CelNode, argNodes: CelNode[], scope: Scope, compile: CompileNode): Code {
  if (!['all', 'exists', 'exists_one'].includes(name) || argNodes.length !== 2) notCovered();
  const [iterVar, predicate] = argNodes as [CelNode, CelNode];
  if (receiver.op !== 'list' || iterVar.op !== 'id') notCovered();
  const items = (receiver.args as CelNode[]).map((n) => compile(n, scope));
  if (items.length > MAX_UNROLLED || items.some((c) => !c.literal || c.kind === 'dyn')) notCovered();
  const varName = iterVar.args as string;
  const nonNull = new Set([...scope.nonNull].filter((n) => n !== varName));
  const codes = items.map((item) => compile(predicate, { vars: new Map(scope.vars).set(varName, item), nonNull }));
  const tests = codes.map((c) => e.cond(c));
  const bails = codes.some((c) => e.condBails(c));
  if (name === 'all') return value(tests.length ? `(${tests.join(' && ')})` : 'true', 'bool', bails);
  if (name === 'exists') return value(tests.length ? `(${tests.join(' || ')})` : 'false', 'bool', bails);
  return value(tests.length ? `((${tests.map((t) => `(${t} ? 1 : 0)`).join(' + ')}) === 1)` : 'false', 'bool', bails);
}
