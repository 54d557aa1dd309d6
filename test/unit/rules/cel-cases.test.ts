import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { ColumnSchema, type ColumnTypeName } from '../../../shared/config/schema.js';
import { ConfigError } from '../../../shared/errors.js';
import { celEnvironment, columnVariables, compileCel, declareCelVariable, fromCel, fromCelAs, MAX_EXPRESSION_LENGTH, outputTypeOfCel, toCel } from '../../../shared/rules/cel.js';

const env = celEnvironment([
  { name: 'n', type: 'integer', nullable: false },
  { name: 'maybe', type: 'integer', nullable: true },
]);

describe('CEL types', () => {
  it('declares each column type as its CEL type, and a nullable column as dyn', () => {
    const types: ColumnTypeName[] = ['string', 'enum', 'integer', 'number', 'boolean', 'date', 'timestamp'];
    const typed = celEnvironment(types.map((type) => ({ name: `c_${type}`, type, nullable: false })));
    expect(types.map((type) => compileCel(typed, `c_${type}`, 'p').type)).toEqual(['string', 'string', 'int', 'double', 'bool', 'google.protobuf.Timestamp', 'google.protobuf.Timestamp']);
    const nullable = celEnvironment(types.map((type) => ({ name: `c_${type}`, type, nullable: true })));
    expect(types.map((type) => compileCel(nullable, `c_${type}`, 'p').type)).toEqual(types.map(() => 'dyn'));
  });

  it('writes int, double, bool, string and timestamp results as their column types, and the rest as JSON', () => {
    const cases: [string, string][] = [
      ['int', 'integer'],
      ['double', 'number'],
      ['bool', 'boolean'],
      ['string', 'string'],
      ['google.protobuf.Timestamp', 'timestamp'],
      ['uint', 'json'],
      ['bytes', 'json'],
      ['list<int>', 'json'],
      ['dyn', 'json'],
      ['toString', 'json'],
      ['__proto__', 'json'],
    ];
    expect(cases.map(([t]) => [t, outputTypeOfCel(t)])).toEqual(cases);
  });

  it('makes a variable of every schema column, nullable unless required', () => {
    const columns = { a: ColumnSchema.parse({ type: 'integer', required: true }), b: ColumnSchema.parse({ type: 'date' }) };
    expect(columnVariables(columns)).toEqual([
      { name: 'a', type: 'integer', nullable: false },
      { name: 'b', type: 'date', nullable: true },
    ]);
  });

  it('declares identifiers only, once, and not names cel-js reserves', () => {
    const e = new Environment({ unlistedVariablesAreDyn: false });
    const names = ['a1', '_x', 'A', 'Z_9', '1a', 'a-b', 'a b', ' a', 'a ', '', 'é', 'for', 'a1'];
    expect(names.map((name) => [name, declareCelVariable(e, name, 'int')])).toEqual([
      ['a1', true],
      ['_x', true],
      ['A', true],
      ['Z_9', true],
      ['1a', false],
      ['a-b', false],
      ['a b', false],
      [' a', false],
      ['a ', false],
      ['', false],
      ['é', false],
      ['for', false],
      ['a1', false],
    ]);
  });
});

describe('compileCel', () => {
  it('compiles a program that evaluates over a row', () => {
    const c = compileCel(env, 'n * 2 + 1', 'p');
    expect(c.type).toBe('int');
    expect(c.program({ n: 20n, maybe: null })).toBe(41n);
    expect(compileCel(env, 'n > 1', 'p', 'bool').type).toBe('bool');
    expect(compileCel(env, 'maybe', 'p', 'bool').type).toBe('dyn');
  });

  it('takes an expression of exactly the longest length, and refuses one character more', () => {
    expect(MAX_EXPRESSION_LENGTH).toBe(4096);
    expect(compileCel(env, `${' '.repeat(4092)}true`, 'p').type).toBe('bool');
    expect(() => compileCel(env, `${' '.repeat(4093)}true`, 'rules.row[0].expr')).toThrow(new ConfigError('rules.row[0].expr', 'CEL expression longer than 4096 characters'));
  });

  it('says, at the config path and in one line, why an expression does not parse or type-check', () => {
    const parseError = (() => {
      try {
        compileCel(env, 'n +', 'p.expr');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(parseError).toBeInstanceOf(ConfigError);
    expect(parseError!.message).toMatch(/^p\.expr: CEL does not parse: \S/);
    expect(parseError!.message).not.toContain('\n');
    expect(parseError!.cause).toBeInstanceOf(Error);
    expect(() => compileCel(env, 'n + "a"', 'p.expr')).toThrow(/^p\.expr: CEL does not type-check: \S[^\n]*$/);
    expect(() => compileCel(env, 'unknown_column > 1', 'p.expr')).toThrow(/^p\.expr: CEL does not type-check: /);
  });

  it('refuses an expression that must be a bool and is not', () => {
    expect(() => compileCel(env, 'n * 2', 'p.expr', 'bool')).toThrow(new ConfigError('p.expr', 'CEL expression must be a bool, not int'));
    expect(() => compileCel(env, '"x"', 'p.expr', 'bool')).toThrow(new ConfigError('p.expr', 'CEL expression must be a bool, not string'));
    expect(compileCel(env, 'n * 2', 'p.expr').type).toBe('int');
  });
});

describe('CEL values', () => {
  it('gives a cell to CEL as its value type: int as bigint, times as Date', () => {
    expect(toCel(null, 'integer')).toBeNull();
    expect(toCel(5, 'integer')).toBe(5n);
    expect(toCel(-3, 'integer')).toBe(-3n);
    expect(toCel(1704067200000, 'date')).toEqual(new Date('2024-01-01T00:00:00.000Z'));
    expect(toCel(1704067200000, 'timestamp')).toEqual(new Date('2024-01-01T00:00:00.000Z'));
    expect(toCel(1.5, 'number')).toBe(1.5);
    expect(toCel('s', 'string')).toBe('s');
    expect(toCel(true, 'boolean')).toBe(true);
  });

  it('turns a CEL result into a cell', () => {
    expect(fromCel(null)).toBeNull();
    expect(fromCel(undefined)).toBeNull();
    expect(fromCel(5n)).toBe(5);
    expect(fromCel(new Date('2024-01-01T00:00:00Z'))).toBe('2024-01-01T00:00:00.000Z');
    expect(fromCel('s')).toBe('s');
    expect(fromCel(1.5)).toBe(1.5);
    expect(fromCel(false)).toBe(false);
    expect(fromCel([1n, 'a', null])).toBe('[1,"a",null]');
    expect(fromCel({ k: 2n })).toBe('{"k":2}');
  });

  it('fits a result to its output column, or says why it does not', () => {
    const cases: [unknown, ColumnTypeName | 'json', unknown][] = [
      [null, 'integer', null],
      [undefined, 'string', null],
      [5n, 'integer', 5],
      [9007199254740991n, 'integer', 9007199254740991],
      [-9007199254740991n, 'integer', -9007199254740991],
      [9007199254740992n, 'integer', { mismatch: '9007199254740992 is outside the safe integer range' }],
      [-9007199254740992n, 'integer', { mismatch: '-9007199254740992 is outside the safe integer range' }],
      [1.5, 'integer', { mismatch: '1.5 is a double, not integer' }],
      [2.5, 'number', 2.5],
      [Infinity, 'number', { mismatch: 'Infinity is not a finite number' }],
      [5n, 'number', { mismatch: '5 is an int, not number' }],
      [true, 'boolean', true],
      ['x', 'boolean', { mismatch: '"x" is a string, not boolean' }],
      ['s', 'string', 's'],
      [true, 'string', { mismatch: 'true is a bool, not string' }],
      [new Date('2019-01-01T00:30:00Z'), 'timestamp', 1546302600000],
      [new Date('2019-01-01T00:00:00Z'), 'date', 1546300800000],
      [new Date(NaN), 'timestamp', { mismatch: 'is an invalid timestamp' }],
      ['x', 'date', { mismatch: '"x" is a string, not date' }],
      [new Date('2019-01-01T00:00:00Z'), 'integer', { mismatch: '2019-01-01T00:00:00.000Z is a timestamp, not integer' }],
      [[1n, 2n], 'integer', { mismatch: '[1,2] is a list, not integer' }],
      [{ a: 1n }, 'string', { mismatch: '{"a":1} is a map, not string' }],
      [[1n, 2n], 'json', '[1,2]'],
      [7n, 'json', 7],
    ];
    expect(cases.map(([value, type]) => [value, type, fromCelAs(value, type)])).toEqual(cases);
  });

  it('shortens a long value in a mismatch to 60 characters', () => {
    expect(fromCelAs('x'.repeat(58), 'integer')).toEqual({ mismatch: `"${'x'.repeat(58)}" is a string, not integer` });
    expect(fromCelAs('x'.repeat(59), 'integer')).toEqual({ mismatch: `"${'x'.repeat(56)}... is a string, not integer` });
  });
});
