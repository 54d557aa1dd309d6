import { describe, expect, it } from 'vitest';
import { InvalidConfigError, parseConfig } from '../../shared/config/load.js';
import { compileRowProcessor, Outcome } from '../../shared/process/row.js';
import { MAX_EXPRESSION_LENGTH } from '../../shared/rules/cel.js';
import { decodeS3Key } from '../../shared/jobs/dispatch.js';

const pipeline = (rules: { name: string; expr: string }[], derive: Record<string, string> = {}) =>
  parseConfig({ pipelines: [{ name: 'p', schema: { columns: { s: {}, n: { type: 'number' } } }, rules: { row: rules }, transform: { derive } }] }).pipelines[0]!;

const compileError = (expr: string) => {
  try {
    compileRowProcessor(pipeline([{ name: 'r', expr }]), ['s', 'n'], 'pipelines[0]');
  } catch (e) {
    return (e as Error).message;
  }
  return 'compiled';
};

describe('CEL is sandboxed', () => {
  it.each([
    ['process.env', /Unknown variable: process/],
    ['this.n > 0.0', /does not (parse|type-check)/],
    ['require("fs") == null', /does not (parse|type-check)/],
    ['globalThis.process == null', /Unknown variable: globalThis/],
  ])('refuses %s at compile time with the config path', (expr, reason) => {
    const message = compileError(expr);
    expect(message).toMatch(/^pipelines\[0\]\.rules\.row\[0\]\.expr: /);
    expect(message).toMatch(reason);
  });

  it.each(['s.constructor == null', 's.__proto__ == null', 's.toString == null', 's.length > 0'])('rejects the row, not the sandbox, for %s: JavaScript members are not CEL fields', (expr) => {
    const p = compileRowProcessor(pipeline([{ name: 'r', expr }]), ['s', 'n']);
    expect(p.process(['abc', '1'], undefined)).toBe(Outcome.REJECT);
    expect(p.failures[0]!.message).toMatch(/No such key/);
  });

  it('cannot reach prototypes through row values at run time', () => {
    const p = compileRowProcessor(pipeline([], { t: 's + "x"', m: '{"__proto__": {"polluted": true}}' }), ['s', 'n']);
    expect(p.process(['__proto__', '1'], undefined)).toBe(Outcome.OUT);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('bounds expression size', () => {
    const long = `n > ${'1.0 + '.repeat(MAX_EXPRESSION_LENGTH / 6)}0.0`;
    expect(compileError(long)).toMatch(/longer than 4096 characters/);
  });

  it('bounds evaluation: the largest macro nest an expression can hold finishes fast', () => {
    // CEL has no loops or recursion; a comprehension runs over literals written in the expression.
    const list = `[${Array.from({ length: 60 }, (_, i) => i).join(',')}]`;
    const expr = `${list}.all(a, ${list}.all(b, ${list}.exists(c, a + b + c >= 0)))`;
    expect(expr.length).toBeLessThan(MAX_EXPRESSION_LENGTH);
    const p = compileRowProcessor(pipeline([{ name: 'r', expr }]), ['s', 'n']);
    const started = performance.now();
    expect(p.process(['x', '1'], undefined)).toBe(Outcome.OUT);
    // Generous bound, a guard against pathological blow-up rather than a speed target.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('config paths stay inside the bucket prefixes', () => {
  it.each(['../results/', '/etc/', 'a/../../b', './x'])('refuses match.prefix %s', (prefix) => {
    try {
      parseConfig({ pipelines: [{ name: 'p', match: { prefix }, schema: { columns: { a: {} } } }] });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidConfigError);
      expect((e as InvalidConfigError).errors[0]!.message).toMatch(/^pipelines\[0\]\.match\.prefix: must stay inside incoming\//);
    }
  });

  it('decodes S3 keys the way S3 encodes them', () => {
    expect(decodeS3Key('incoming/a+b%2Bc+%C3%A9.tsv')).toBe('incoming/a b+c é.tsv');
    expect(decodeS3Key('incoming/%2E%2E/x')).toBe('incoming/../x');
  });
});
