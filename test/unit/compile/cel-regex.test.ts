import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { planRegex } from '../../../shared/compile/cel-regex.js';

// CEL's matches() is RE2. A precompiled pattern must find a match in a subject exactly when RE2
// does (re2js, a port of RE2/J, is the reference here), unless its guard sends the subject to the interpreter.

function re2(pattern: string): RE2JS | undefined {
  try {
    return RE2JS.compile(pattern);
  } catch {
    return undefined;
  }
}

const SUBJECT_UNITS = ['a', 'b', 'c', 'é', 'ñ', '-', ' ', '\r', '\n', '\v', '\t', '\u00a0', '\u2028', '\ufeff', '😀', '\ud83d', '\ude00', '1', '_', '.', 'x', ']', 'A', 'Z', '0', '9', '\f', '/', '{'];
const subject = fc.string({ unit: fc.constantFrom(...SUBJECT_UNITS), maxLength: 8 });

const ATOMS = ['a', 'b', 'c', 'é', ' ', '\\.', '\\-', '\\]', '.', '\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '[a-c]', '[^a]', '[\\d_]', '[ a-]', '[é-ñ]', '[^\\s]', '[\\s]', '\\n', '\\t', '\\v', '\\f', '\\r', '[\\v]', '[\\s\\d]', '[^\\d]', '[A-Za-z0-9]', '\\/', '\\{', '-', '_', 'A', '0'];
const ASSERTIONS = ['^', '$', '\\b', '\\B'];
const QUANTIFIERS = ['', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?', '??', '{1,2}?'];
const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string; piece: string }>((tie) => ({
  piece: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    fc.tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...QUANTIFIERS)).map(([a, q]) => a + q),
    fc.constantFrom(...ASSERTIONS),
    fc.tuple(tie('re') as fc.Arbitrary<string>, fc.constantFrom('(', '(?:'), fc.constantFrom(...QUANTIFIERS)).map(([r, open, q]) => `${open}${r})${q}`),
  ),
  re: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    fc.array(tie('piece') as fc.Arbitrary<string>, { minLength: 1, maxLength: 4 }).map((ps) => ps.join('')),
    fc.tuple(tie('re') as fc.Arbitrary<string>, tie('re') as fc.Arbitrary<string>).map(([x, y]) => `${x}|${y}`),
  ),
})).re;

describe('matches() patterns precompiled for compiled CEL', () => {
  it('finds a match exactly where RE2 does, or guards the subject', () => {
    let agreed = 0;
    let guarded = 0;
    fc.assert(
      fc.property(pattern, fc.array(subject, { minLength: 6, maxLength: 6 }), (p, subjects) => {
        const plan = planRegex(p);
        if (!plan) return;
        const reference = re2(p);
        expect(reference, `${p} is accepted, but RE2 rejects it`).toBeDefined();
        for (const s of subjects) {
          if (plan.guard?.test(s)) {
            guarded++;
            continue;
          }
          expect(plan.regex.test(s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(reference!.matcher(s).find());
          agreed++;
        }
      }),
      { numRuns: 5000, seed: 7 },
    );
    expect(agreed).toBeGreaterThan(8000);
    expect(guarded).toBeGreaterThan(0);
  });

  it('accepts the patterns Sluice users write, and none that RE2 and JS read differently', () => {
    for (const p of ['^ORD-[0-9]{8,9}$', '[A-Z]{2}-[A-Za-z0-9]{3}', '^C[0-9]{6}$', 'a.c', '(ab|cd)+', '\\d+(\\.\\d+)?', '[a-z_]\\w*', '']) expect(planRegex(p), p).toBeDefined();
    const refused = ['(?i)abc', '\\pL', '[[:alpha:]]', '😀+', 'a{1001}', 'a{600}b{600}', '[]a]', '[^]a]', '(a{2}){3}', '\\1', '(a)\\1', '\\z', '\\A', '(?P<n>a)', '(?=a)', 'a**', '*a', 'a{,3}', '\\x41', '\\u0041', ']', '}', '(', 'a)', '[a', '[--a]', '[a-\\d]', '[z-a]', '('.repeat(101) + ')'.repeat(101)];
    for (const p of refused) expect(planRegex(p), p).toBeUndefined();
  });

  it('guards the subjects on which JS reads `.`, negated classes and \\s differently', () => {
    expect(planRegex('a.c')!.guard!.test('a\rc')).toBe(true);
    expect(planRegex('a.c')!.guard!.test('abc')).toBe(false);
    expect(planRegex('[^a]')!.guard!.test('😀')).toBe(true);
    expect(planRegex('\\s')!.guard!.test('\v')).toBe(true);
    expect(planRegex('\\s')!.guard!.test(' ')).toBe(false);
    expect(planRegex('^[a-c]+$')!.guard).toBeUndefined();
  });
});
