import { tests as conformance } from '@bufbuild/cel-spec/testdata/conformance.js';
import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import type { CelJsVariable } from '../../../shared/compile/cel-js.js';
import { type CompiledOutcome, type Outcome, interpret, runCompiled, sameValue, show } from './cel-harness.js';

// The CEL spec's conformance cases (cel-spec v0.25.1 via @bufbuild/cel-spec), run through cel-js
// and through the compiler. The compiler must give the expected value, or bail, or not compile the
// expression; never another value, and never a value where an error is expected.

const SUITES = ['basic', 'comparisons', 'logic', 'integer_math', 'fp_math', 'string', 'timestamps', 'macros'];

// Types outside what Sluice's rows hold: uint, bytes, durations, protos, type values.
const OUT_OF_SCOPE = /\d[uU]\b|\bb'|\bb"|\bduration\(|\bbytes\(|\buint\(|google\.protobuf\.(?!Timestamp\b)|\btype\(|\bTestAllTypes\b/;
const PRIMITIVES: Readonly<Record<string, CelJsVariable['type']>> = { INT64: 'int', DOUBLE: 'double', BOOL: 'bool', STRING: 'string' };

interface Json {
  readonly [k: string]: unknown;
}

interface Case {
  readonly suite: string;
  readonly name: string;
  readonly expr: string;
  readonly variables: CelJsVariable[];
  readonly locals: unknown[];
  readonly context: Record<string, unknown>;
  readonly expected: Outcome;
}

/** The expected outcome, or undefined when the value is of a type out of scope (uint, bytes, list, map, type, message). */
function expectedOf(o: Json): Outcome | undefined {
  if (o.evalError) return { error: JSON.stringify(o.evalError) };
  const v = (o.value ?? { boolValue: true }) as Json; // a test without a value expects true
  if ('int64Value' in v) return { value: BigInt(v.int64Value as string) };
  if ('doubleValue' in v) return { value: Number(v.doubleValue) };
  if ('stringValue' in v) return { value: v.stringValue };
  if ('boolValue' in v) return { value: v.boolValue };
  if ('nullValue' in v) return { value: null };
  return undefined;
}

/** A binding in compiled-code terms and in cel-js terms, or undefined when out of scope. */
function bindingOf(type: CelJsVariable['type'], v: Json): [unknown, unknown] | undefined {
  if (type === 'int' && 'int64Value' in v) return [Number(v.int64Value), BigInt(v.int64Value as string)];
  if (type === 'double' && 'doubleValue' in v) return [Number(v.doubleValue), Number(v.doubleValue)];
  if (type === 'bool' && 'boolValue' in v) return [v.boolValue, v.boolValue];
  if (type === 'string' && 'stringValue' in v) return [v.stringValue, v.stringValue];
  return undefined;
}

function caseOf(suite: string, o: Json): Case | string {
  const expr = o.expr as string;
  if (o.container) return 'container';
  if (OUT_OF_SCOPE.test(expr)) return 'type out of scope';
  const expected = expectedOf(o);
  if (!expected) return 'result type out of scope';
  const variables: CelJsVariable[] = [];
  const locals: unknown[] = [];
  const context: Record<string, unknown> = {};
  for (const decl of (o.typeEnv ?? []) as Json[]) {
    const type = PRIMITIVES[((decl.ident as Json | undefined)?.type as Json | undefined)?.primitive as string];
    const binding = ((o.bindings ?? {}) as Record<string, Json>)[decl.name as string]?.value as Json | undefined;
    const pair = type && binding ? bindingOf(type, binding) : undefined;
    if (!type || !pair) return 'variable type out of scope';
    variables.push({ name: decl.name as string, type, nullable: false, js: `v${variables.length}` });
    locals.push(pair[0]);
    context[decl.name as string] = pair[1];
  }
  return { suite, name: o.name as string, expr, variables, locals, context, expected };
}

function environment(c: Case): Environment | undefined {
  const env = new Environment({ unlistedVariablesAreDyn: false });
  const types = { int: 'int', double: 'double', bool: 'bool', string: 'string', timestamp: 'google.protobuf.Timestamp', dyn: 'dyn' };
  try {
    for (const v of c.variables) env.registerVariable(v.name, types[v.type]);
  } catch {
    return undefined; // a name cel-js reserves (`true`, `null`)
  }
  return env;
}

const matches = (got: Outcome, want: Outcome): boolean => ('error' in want ? 'error' in got : 'value' in got && sameValue(got.value, want.value));

interface Tally {
  ran: number;
  compiled: number;
  bailed: number;
  passed: number;
  interpreterPassed: number;
  skipped: number;
}

describe('CEL → JS against the CEL conformance suites', () => {
  const tallies: Record<string, Tally> = {};
  const failures: string[] = [];
  for (const suite of conformance.suites!.filter((s) => SUITES.includes(s.name))) {
    const t: Tally = (tallies[suite.name] = { ran: 0, compiled: 0, bailed: 0, passed: 0, interpreterPassed: 0, skipped: 0 });
    for (const section of suite.suites ?? []) {
      for (const test of section.tests ?? []) {
        const c = caseOf(suite.name, test.original as unknown as Json);
        const env = typeof c === 'string' ? undefined : environment(c);
        if (typeof c === 'string' || !env) {
          t.skipped++;
          continue;
        }
        t.ran++;
        const interpreted = interpret(env, c.expr, c.context);
        if (matches(interpreted, c.expected)) t.interpreterPassed++;
        const compiled: CompiledOutcome = runCompiled(env, c.expr, c.variables, c.locals);
        if (compiled === 'not compiled') continue;
        t.compiled++;
        if (compiled === 'bail') {
          t.bailed++;
          continue;
        }
        const label = `${suite.name}/${section.name}/${c.name}: ${c.expr}`;
        if (!matches(compiled, c.expected)) failures.push(`${label} gave ${'value' in compiled ? show(compiled.value) : compiled.error}, expected ${'value' in c.expected ? show(c.expected.value) : c.expected.error}`);
        else if (!matches(compiled, interpreted)) failures.push(`${label} gave ${show((compiled as { value: unknown }).value)}, cel-js ${'value' in interpreted ? show(interpreted.value) : interpreted.error}`);
        else t.passed++;
      }
    }
  }

  it('gives the expected value or bails on every case it compiles', () => {
    console.table(tallies);
    expect(failures).toEqual([]);
  });

  it('compiles most in-scope cases of the suites Sluice expressions draw on', () => {
    for (const name of ['basic', 'comparisons', 'logic', 'integer_math', 'fp_math', 'string', 'timestamps', 'macros']) {
      expect(tallies[name]!.passed, name).toBeGreaterThan(0);
    }
    const total = Object.values(tallies).reduce((n, t) => n + t.passed, 0);
    expect(total).toBeGreaterThan(300);
  });
});
