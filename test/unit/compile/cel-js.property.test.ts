import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CelJsVariable, compileCelFunction } from '../../../shared/compile/cel-js.js';
import { CEL_BAIL } from '../../../shared/compile/cel-runtime.js';
import { environmentOf, interpret, sameValue, show, toInterpreter } from './cel-harness.js';

// Random typed expressions over random rows: the compiled function gives cel-js's value, or bails.
// An error in cel-js must be a bail; a compiled value must be cel-js's value (Object.is for numbers).

const VARIABLES: CelJsVariable[] = [
  { name: 'i', type: 'int', nullable: false, js: 'v0' },
  { name: 'j', type: 'int', nullable: true, js: 'v1' },
  { name: 'd', type: 'double', nullable: false, js: 'v2' },
  { name: 'e', type: 'double', nullable: true, js: 'v3' },
  { name: 'b', type: 'bool', nullable: false, js: 'v4' },
  { name: 'c', type: 'bool', nullable: true, js: 'v5' },
  { name: 's', type: 'string', nullable: false, js: 'v6' },
  { name: 'u', type: 'string', nullable: true, js: 'v7' },
  { name: 't', type: 'timestamp', nullable: false, js: 'v8' },
  { name: 'w', type: 'timestamp', nullable: true, js: 'v9' },
];
const ENV = environmentOf(VARIABLES);
const MAX = Number.MAX_SAFE_INTEGER;
const DATE_LIMIT = 8.64e15;
const SEED = 20_261_201;

const int = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.constantFrom(0, -0, 1, -1, MAX, -MAX, MAX - 1, 2 ** 31, -(2 ** 31), 2 ** 26, 3_037_000_499, 94_906_266, 2 ** 52),
  fc.maxSafeInteger(),
);
const double = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, 0.5, -1.5, 1e308, -1e308, Number.NaN, Infinity, -Infinity, 2 ** 53, 0.1, 5e-324),
  fc.integer({ min: -100, max: 100 }).map((n) => n / 4),
);
const TEXT_UNITS = ['a', 'b', 'A', 'é', ' ', '\r', '\n', '\v', '\u00a0', '\u2028', '😀', '\ud83d', '\ude00', '0', '1', '5', '-', '+', '.', 'e', 'x', '_'];
const text = fc.oneof(fc.string({ unit: fc.constantFrom(...TEXT_UNITS), maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }));
const timestamp = fc.oneof(
  fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }),
  fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
  fc.integer({ min: -DATE_LIMIT, max: DATE_LIMIT }),
  fc.constantFrom(-62_135_596_800_000, 253_402_300_799_999, -DATE_LIMIT, DATE_LIMIT, 0, -1, 951_782_400_000, -2_208_988_800_001),
);
const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq: 3 });
const wide = fc.tuple(int, nullable(int), double, nullable(double), fc.boolean(), nullable(fc.boolean()), text, nullable(text), timestamp, nullable(timestamp));
// Rows whose numbers of every type coincide (0 and 1), where equality across types must still be false.
const small = fc.constantFrom(0, 1);
const narrowRow = fc.tuple(small, nullable(small), small, nullable(small), fc.boolean(), nullable(fc.boolean()), fc.constantFrom('', '0', '1'), nullable(fc.constantFrom('', '1')), small, nullable(small));
const row = fc.oneof(wide, narrowRow);

const INT_LITERALS = ['0', '1', '2', '7', '(-3)', '-1', '1000', '2147483648', '9007199254740991', '4503599627370496', '9223372036854775807'];
const DOUBLE_LITERALS = ['0.0', '-0.0', '1.5', '0.1', '1e308', '-1e308', '2.5e-320', '3.0', '100.0', '1e16', '0.02162'];
const STRING_LITERALS = ['""', '"a"', '"ab"', '"é"', '"😀"', '"A😀b"', '" "', '"\\n"', '"1"', '"-12"', '"1e5"', '"true"', '"0x1F"', '"+5"', '" 5"', '"9999999999999999"', '".5"', '"TRUE"'];
const PATTERNS = [
  ...['^a', 'b$', 'a.c', '[a-c]+', '[^a]', String.raw`\\d+`, String.raw`\\s`, String.raw`\\S+`, String.raw`\\w*`, '(ab|cd)', 'é', 'x{2,3}', '^.$', String.raw`\\D`, ''],
  ...['(?i)a', String.raw`\\pL`, '[[:alpha:]]', '😀+', 'a{1001}', '[]a]'],
].map((p) => `"${p}"`);
const TIMESTAMP_LITERALS = ['2009-02-13T23:31:30Z', '1969-12-31T23:59:59.999Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2020-02-29T12:00:00+05:30', '2009-02-13T23:31:30.123456Z'];
const METHODS = ['getFullYear', 'getMonth', 'getDate', 'getDayOfMonth', 'getDayOfWeek', 'getHours', 'getMinutes', 'getSeconds', 'getMilliseconds'];

const pick = (xs: readonly string[]): fc.Arbitrary<string> => fc.constantFrom(...xs);
const bin = (a: fc.Arbitrary<string>, ops: readonly string[], b: fc.Arbitrary<string> = a): fc.Arbitrary<string> => fc.tuple(a, pick(ops), b).map(([x, op, y]) => `(${x} ${op} ${y})`);
const call = (name: string, a: fc.Arbitrary<string>): fc.Arbitrary<string> => a.map((x) => `${name}(${x})`);

type Typed = { int: string; double: string; bool: string; string: string; time: string; any: string };
const expressions = fc.letrec<Typed>((tie) => {
  const [I, D, B, S, T, A] = (['int', 'double', 'bool', 'string', 'time', 'any'] as const).map((k) => tie(k) as fc.Arbitrary<string>) as [
    fc.Arbitrary<string>, fc.Arbitrary<string>, fc.Arbitrary<string>, fc.Arbitrary<string>, fc.Arbitrary<string>, fc.Arbitrary<string>,
  ];
  const depth = { maxDepth: 4, depthSize: 'small' as const };
  const ternary = (x: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(B, x, x).map(([c, p, q]) => `(${c} ? ${p} : ${q})`);
  return {
    int: fc.oneof(depth, pick(INT_LITERALS), pick(['i', 'j']), bin(I, ['+', '-', '*', '/', '%']), I.map((x) => `-${x}`), call('int', D), call('int', S), call('size', S),
      S.map((x) => `${x}.size()`), fc.tuple(T, pick(METHODS)).map(([x, m]) => `${x}.${m}()`), ternary(I), call('dyn', I)),
    double: fc.oneof(depth, pick(DOUBLE_LITERALS), pick(['d', 'e']), bin(D, ['+', '-', '*', '/']), D.map((x) => `-${x}`), call('double', I), I.map((x) => `(1.0 / double(${x}))`), call('double', S), ternary(D), call('dyn', D)),
    bool: fc.oneof(depth, pick(['true', 'false', 'b', 'c']), bin(A, ['==', '!=']), bin(pick(['i', 'j', 'd', 'e', 't', 'w', 'u', 'c', '0', '0.0', 'null']), ['==', '!=']), bin(fc.oneof(I, D), ['<', '<=', '>', '>=']), bin(S, ['<', '>=', '==']), bin(T, ['<', '>', '==', '!=']),
      bin(B, ['&&', '||']), B.map((x) => `!${x}`), pick(['j', 'e', 'c', 'u', 'w']).map((x) => `${x} == null`), pick(['j', 'e', 'c', 'u', 'w']).map((x) => `${x} != null`),
      fc.tuple(A, pick(['[1, 2, 3]', '[1.0, -0.0]', '["a", "😀"]', '[]', '[true]', '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]', "[timestamp('1970-01-01T00:00:00Z')]"])).map(([x, l]) => `${x} in ${l}`),
      fc.tuple(S, pick(['startsWith', 'endsWith', 'contains']), S).map(([x, m, y]) => `${x}.${m}(${y})`), fc.tuple(S, pick(PATTERNS)).map(([x, p]) => `${x}.matches(${p})`),
      fc.tuple(pick(['[1, 2, 3]', '[]', '[0, -5]']), pick(['all', 'exists', 'exists_one']), I).map(([l, m, x]) => `${l}.${m}(k, k * 2 > ${x})`),
      fc.tuple(pick(['["a", "é"]', '[""]']), pick(['all', 'exists', 'exists_one']), S).map(([l, m, x]) => `${l}.${m}(k, ${x}.startsWith(k))`), ternary(B), call('bool', S)),
    string: fc.oneof(depth, pick(STRING_LITERALS), pick(['s', 'u']), bin(S, ['+']), call('string', I), call('string', D), call('string', B), S.map((x) => `${x}.lowerAscii()`), S.map((x) => `${x}.upperAscii()`), ternary(S)),
    time: fc.oneof(depth, pick(['t', 'w']), pick(TIMESTAMP_LITERALS).map((x) => `timestamp('${x}')`), call('timestamp', I), ternary(T)),
    any: fc.oneof(depth, I, D, B, S, T, pick(['null', 'dyn(null)'])),
  };
});

interface Counts {
  expressions: number;
  compiled: number;
  rows: number;
  values: number;
  bails: number;
  interpreterErrors: number;
}

describe('compiled CEL against the interpreter on random rows', () => {
  it('gives the interpreter its value or bails, on every row of every random expression', () => {
    const n: Counts = { expressions: 0, compiled: 0, rows: 0, values: 0, bails: 0, interpreterErrors: 0 };
    const started = Date.now();
    fc.assert(
      fc.property(fc.oneof(expressions.bool, expressions.int, expressions.double, expressions.string, expressions.time, expressions.any), fc.array(row, { minLength: 8, maxLength: 8 }), (expr, rows) => {
        n.expressions++;
        const fn = compileCelFunction(ENV, expr, VARIABLES);
        if (!fn) return;
        n.compiled++;
        for (const locals of rows) {
          n.rows++;
          const context = Object.fromEntries(VARIABLES.map((v, k) => [v.name, toInterpreter(locals[k], v.type)]));
          const expected = interpret(ENV, expr, context);
          if ('error' in expected) n.interpreterErrors++;
          let got: unknown;
          try {
            got = toInterpreter(fn(...locals), fn.compiled.kind);
          } catch (err) {
            if (err !== CEL_BAIL) throw err;
            if (!fn.compiled.bails) throw new Error(`${expr} → ${fn.compiled.js} bailed, though it says it never does`);
            n.bails++;
            continue;
          }
          n.values++;
          const where = `${expr} on ${locals.map(show).join(', ')} → ${fn.compiled.js}`;
          if ('error' in expected) throw new Error(`${where}: compiled gave ${show(got)}, cel-js raised ${expected.error}`);
          if (!sameValue(got, expected.value)) throw new Error(`${where}: compiled gave ${show(got)}, cel-js ${show(expected.value)}`);
        }
      }),
      { numRuns: 3000, seed: SEED, interruptAfterTimeLimit: 30_000 },
    );
    console.log('CEL property test', { ...n, seconds: (Date.now() - started) / 1000 });
    expect(n.values).toBeGreaterThan(5000);
    expect(n.compiled / n.expressions).toBeGreaterThan(0.5);
    expect(n.bails).toBeGreaterThan(0);
  });
});
