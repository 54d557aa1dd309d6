import { describe, expect, it } from 'vitest';
import { type CelJsVariable, celJsType, compileCelFunction, compileCelToJs } from '../../../shared/compile/cel-js.js';
import { CEL_BAIL, celRuntime } from '../../../shared/compile/cel-runtime.js';
import { loadConfig } from '../../../shared/config/index.js';
import { celEnvironment, columnVariables } from '../../../shared/rules/cel.js';
import { environmentOf, interpret, toInterpreter } from './cel-harness.js';

const VARS: CelJsVariable[] = [
  { name: 'n', type: 'int', nullable: false, js: 'n' },
  { name: 'm', type: 'int', nullable: true, js: 'm' },
  { name: 'x', type: 'double', nullable: false, js: 'x' },
  { name: 'y', type: 'double', nullable: true, js: 'y' },
  { name: 's', type: 'string', nullable: false, js: 's' },
  { name: 't', type: 'timestamp', nullable: false, js: 't' },
  { name: 'w', type: 'timestamp', nullable: true, js: 'w' },
  { name: 'q', type: 'dyn', nullable: true, js: 'q' },
];
const ENV = environmentOf(VARS);
const ROW: Readonly<Record<string, unknown>> = { n: 0, m: null, x: 0, y: null, s: '', t: 0, w: null, q: null };

/** Runs `expr` on `row` (VARS' locals); 'bail' when the compiled code bails. */
function run(expr: string, row: Readonly<Record<string, unknown>> = {}): unknown {
  const fn = compileCelFunction(ENV, expr, VARS);
  if (!fn) throw new Error(`${expr} did not compile`);
  const r = { ...ROW, ...row };
  try {
    return fn(...VARS.map((v) => r[v.name]));
  } catch (e) {
    if (e === CEL_BAIL) return 'bail';
    throw e;
  }
}

const js = (expr: string): string | undefined => compileCelToJs(ENV, expr, VARS)?.js;

describe('CEL → JS', () => {
  it('compiles every row rule and derive of the flux and orders examples, and agrees with cel-js on them', async () => {
    const rows: Record<string, Record<string, unknown>[]> = {
      flux: [
        { TIMESTAMP_START: Date.UTC(2019, 0, 1), TIMESTAMP_END: Date.UTC(2019, 0, 1, 0, 30), SW_IN: 420.5, GPP: -1.5, NEE: 2.5 },
        { TIMESTAMP_START: Date.UTC(2020, 11, 31, 23, 30), TIMESTAMP_END: Date.UTC(2020, 11, 31, 23, 30), SW_IN: null, GPP: null, NEE: null },
      ],
      orders: [
        { currency: 'JPY', amount: 14_999_999.5 },
        { currency: 'EUR', amount: 19.99 },
      ],
    };
    for (const file of ['examples/flux/pipeline.yaml', 'examples/orders/pipeline.yaml']) {
      for (const p of (await loadConfig(file)).pipelines) {
        const columns = columnVariables(p.schema.columns);
        const env = celEnvironment(columns);
        const vars = columns.map((c, i) => ({ name: c.name, type: celJsType(c.type), nullable: c.nullable, js: `c${i}` }));
        const exprs = [...p.rules.row.map((r) => r.expr), ...Object.values(p.transform.derive ?? {}), ...(p.transform.filter ? [p.transform.filter] : [])];
        expect(exprs.length).toBeGreaterThan(0);
        for (const expr of exprs) {
          const fn = compileCelFunction(env, expr, vars);
          expect(fn, expr).toBeDefined();
          for (const row of rows[p.name]!) {
            const locals = vars.map((v) => row[v.name] ?? null);
            const context = Object.fromEntries(vars.map((v, i) => [v.name, toInterpreter(locals[i], v.type)]));
            expect(toInterpreter(fn!(...locals), fn!.compiled.kind), expr).toEqual((interpret(env, expr, context) as { value: unknown }).value);
          }
        }
      }
    }
  });

  it('writes plain JS for the expressions Sluice users write', () => {
    expect(js('t > w')).toBe('(t > (w === null ? celRt.bail() : w))');
    expect(js('y == null || y < 10.0 || m == null || m >= 0')).toBe('((((y === null) || (y < 10)) || (m === null)) || (m >= 0))');
    expect(js('int(t.getFullYear())')).toBe('celRt.year(t)');
    expect(js('y == null ? null : dyn(y * 0.02162)')).toBe('((y === null) ? null : (y * 0.02162))');
    expect(js('s == "JPY" ? int(x) : int(x * 100.0 + 0.5)')).toBe('((s === "JPY") ? celRt.intOfDouble(x) : celRt.intOfDouble(((x * 100) + 0.5)))');
    expect(js('n / m + n % 3 - -n')).toBe('celRt.int(celRt.int(celRt.idiv(n, (m === null ? celRt.bail() : m)) + celRt.imod(n, 3)) - (0 - n))');
    expect(js('s in ["US", "CA"] && size(s) == 2')).toBe('((s === "US" || s === "CA") && (celRt.size(s) === 2))');
    expect(js('s.matches("^C[0-9]{6}$")')).toBe('celK[0].test((s))');
    expect(js('[1, 2].exists(k, k == n)')).toBe('((1 === n) || (2 === n))');
    expect(js('t > timestamp("2020-01-01T00:00:00Z")')).toBe('(t > 1577836800000)');
  });

  it('knows a column is not null where a test on it says so', () => {
    const compiled = compileCelToJs(ENV, 'm != null && m > 2 ? m : 0', VARS)!;
    expect(compiled.js).toBe('(((m !== null) && (m > 2)) ? m : 0)');
    expect(compiled).toMatchObject({ type: 'dyn', kind: 'int', nullable: false });
    expect(compileCelToJs(ENV, 'm == null ? null : m', VARS)).toMatchObject({ kind: 'int', nullable: true });
    // CEL's || is commutative, errors included: the null test written second is made first.
    expect(js('m > 5 || m == null')).toBe('((m === null) || ((m === null ? celRt.bail() : m) > 5))');
    expect(run('m > 5 || m == null')).toBe(true);
    // Long chains compile in linear time (each swap compiles only a small side twice).
    const chain = Array.from({ length: 200 }, (_, k) => `(m > ${k} || y == null) && (x < ${k}.0 || m == null)`).join(' || ');
    expect(compileCelToJs(ENV, chain, VARS)).toBeDefined();
    expect(compileCelToJs(ENV, `${'('.repeat(60)}m > 1${' || m == null)'.repeat(60)}`, VARS)).toBeDefined();
    const list = `[${Array.from({ length: 40 }, (_, k) => k).join(', ')}]`;
    expect(js(`${list}.all(a, ${list}.all(b, ${list}.exists(c, a + b + c > n)))`)).toBeUndefined(); // 64,000 predicates: too big to unroll
    expect(run('[1, 2].all(n, n > 0)', { n: -5 })).toBe(true);
  });

  it('bails where the interpreter raises an error', () => {
    expect(run('n / 0')).toBe('bail');
    expect(run('n % m', { m: 0 })).toBe('bail');
    expect(run('m + 1')).toBe('bail'); // null + 1: no such overload
    expect(run('y < 1.0')).toBe('bail');
    expect(run('m + x', { m: 1 })).toBe('bail'); // int + double through dyn
    expect(run('m ? 1 : 2', { m: 1 })).toBe('bail');
    expect(run('int(x)', { x: Number.NaN })).toBe('bail');
    expect(run('timestamp(n)', { n: 253_402_300_800 })).toBe('bail');
    expect(interpret(ENV, 'timestamp(n)', { n: 253_402_300_800n })).toHaveProperty('error');
  });

  it('bails where a JS number stops being an exact int, though int64 goes on', () => {
    expect(run('n + 1', { n: 2 ** 53 - 2 })).toBe(2 ** 53 - 1);
    expect(run('n + 1', { n: 2 ** 53 - 1 })).toBe('bail');
    expect(run('n * n', { n: 94_906_266 })).toBe('bail');
    expect(run('n * n', { n: 94_906_265 })).toBe(94_906_265 ** 2);
    expect(run('int(x)', { x: 1e16 })).toBe('bail');
    expect(interpret(ENV, 'n * n', { n: 94_906_266n })).toEqual({ value: 94_906_266n ** 2n });
  });

  it('keeps CEL int arithmetic: division truncates toward zero, no int is -0', () => {
    expect(run('n / 2', { n: -7 })).toBe(-3);
    expect(run('n % 2', { n: -7 })).toBe(-1);
    expect(Object.is(run('double(n * -1)', { n: 0 }), 0)).toBe(true);
    expect(Object.is(run('double(n % 5)', { n: -5 }), 0)).toBe(true);
    expect(Object.is(run('double(n / 5)', { n: -1 }), 0)).toBe(true);
    expect(Object.is(run('double(-n)', { n: 0 }), 0)).toBe(true);
    expect(Object.is(run('double(n)', { n: -0 }), 0)).toBe(true);
    expect(Object.is(run('double(int(x))', { x: -0.5 }), 0)).toBe(true);
    expect(Object.is(run('-x', { x: 0 }), -0)).toBe(true);
    expect(run('1.0 / x', { x: 0 })).toBe(Infinity);
  });

  it('answers && and || as CEL does when one side would be an error', () => {
    expect(run('false && n / 0 == 1')).toBe(false);
    expect(run('true || n / 0 == 1')).toBe(true);
    expect(interpret(ENV, 'n / 0 == 1 || true', { n: 0n })).toEqual({ value: true });
    expect(run('n / 0 == 1 || true')).toBe(true); // the side that cannot fail is tested first
    expect(run('n / 0 == 1 || m > 0', { m: 1 })).toBe('bail'); // cel-js says true: the interpreter gives it
    expect(interpret(ENV, 'n / 0 == 1 || m > 0', { n: 0n, m: 1n })).toEqual({ value: true });
  });

  it('compares across types as cel-js does: numbers by value, other kinds never equal, null only to null', () => {
    expect(run('m == y', { m: 1, y: 1 })).toBe(true);
    expect(run('m == y')).toBe(true);
    expect(run('w == m', { w: 0, m: 0 })).toBe(false);
    expect(run('w != m', { w: 0, m: 0 })).toBe(true);
    expect(run('w == m')).toBe(true);
    expect(run('y == s', { y: 0 })).toBe(false);
    expect(run('q == null', { q: [1] })).toBe(false);
    expect(run('m in [1, 2]', { m: 1 })).toBe(true);
    expect(run('m in [1, 2]')).toBe(false);
    expect(run('y in [1.0, -0.0]', { y: 0 })).toBe(true);
    expect(run('w in [1.0]', { w: 1 })).toBe(false);
  });

  it('counts code points, and bails on regex subjects RE2 and JS read differently', () => {
    expect(run('size(s)', { s: 'a😀' })).toBe(2);
    expect(run('s.size()', { s: '\ud83d' })).toBe(1);
    expect(run('s.matches("a.c")', { s: 'abc' })).toBe(true);
    expect(run('s.matches("a.c")', { s: 'a\rc' })).toBe('bail');
    expect(run('s.matches("^.$")', { s: '😀' })).toBe('bail');
    expect(run('s.matches("[^a]")', { s: '😀' })).toBe('bail');
    expect(run('s.matches("\\\\s")', { s: ' ' })).toBe(true);
    expect(run('s.matches("\\\\s")', { s: '\u00a0' })).toBe('bail');
    expect(run('s.matches("^[a-c]+$")', { s: 'abca' })).toBe(true);
    expect(run('s.lowerAscii()', { s: 'AbC' })).toBe('abc');
    expect(run('s.lowerAscii()', { s: 'İ' })).toBe('bail');
    for (const p of ['(?i)a', '\\\\pL', '[[:alpha:]]', '😀+', 'a{1001}', '[]a]', '(a{2}){3}', '\\\\1', '\\\\z']) expect(js(`s.matches("${p}")`), p).toBeUndefined();
    expect(js('s.matches(s)')).toBeUndefined();
  });

  it('reads timestamps in UTC without a Date per row', () => {
    const methods = { getFullYear: 'getUTCFullYear', getMonth: 'getUTCMonth', getDate: 'getUTCDate', getDayOfWeek: 'getUTCDay', getHours: 'getUTCHours', getMinutes: 'getUTCMinutes', getSeconds: 'getUTCSeconds', getMilliseconds: 'getUTCMilliseconds' } as const;
    const samples = [0, -1, 951_782_400_000, 951_868_799_999, -62_135_596_800_000, 253_402_300_799_999, -8.64e15, 8.64e15, -2_208_988_800_001, 4_107_542_400_000];
    for (let k = 0; k < 2000; k++) samples.push(Math.round((k / 2000 - 0.5) * 1.7e15) + k * 7919);
    for (const ms of samples) {
      const d = new Date(ms);
      for (const [cel, utc] of Object.entries(methods)) expect(run(`t.${cel}()`, { t: ms }), `${cel} of ${d.toISOString()}`).toBe(d[utc]());
      expect(run('t.getDayOfMonth()', { t: ms })).toBe(d.getUTCDate() - 1);
    }
  });

  it('leaves to the interpreter what it does not cover', () => {
    const notCovered = [
      't - t > duration("1h")', 't.getHours("Europe/Paris")', 't.getDayOfYear()', 'timestamp(s)', 'q + 1', 'has(q.a)', '[n, 1]', '{"a": n}', 'n in [n, 1]',
      '9223372036854775807 > n', 'type(n) == int', 'x == 1', 'c', 's.split(",").size() > 1', 'y == null ? dyn(1) : dyn(1.0)', 'timestamp("2020-01-01T00:00:00.0001Z") < t',
      'timestamp("2020-02-30T00:00:00Z") < t', '1u == 1u',
    ];
    for (const expr of notCovered) expect(js(expr), expr).toBeUndefined();
  });

  it('names the runtime and constants as the caller asks, or lets it hold the constants', () => {
    const held: unknown[] = [];
    const compiled = compileCelToJs(ENV, 's.matches("^a") && m in [1, 2, 3, 4, 5, 6, 7, 8, 9] || n / 2 > 1', VARS, {
      runtime: 'R',
      constant: (v) => `K${held.push(v) - 1}`,
    })!;
    expect(compiled.js).toBe('((K0.test((s)) && R.inList(K1, m)) || (R.idiv(n, 2) > 1))');
    expect(compiled.constants).toEqual([]);
    expect(held).toEqual([/^a/, [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(() => compileCelToJs(ENV, 'n', [{ name: 'n', type: 'int', nullable: false, js: 'celRt' }])).toThrow(TypeError);
  });

  it('throws one preallocated object on a bail', () => {
    expect(() => celRuntime.bail()).toThrow(CEL_BAIL);
    let caught: unknown;
    try {
      celRuntime.idiv(1, 0);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(CEL_BAIL);
  });
});
