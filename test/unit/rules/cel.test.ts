import { describe, expect, it } from 'vitest';
import { celEnvironment, compileCel, fromCelAs, outputTypeOfCel } from '../../../shared/rules/cel.js';

describe('CEL', () => {
  it('gives an expression its checked type and the column type it is written as', () => {
    const env = celEnvironment([
      { name: 'n', type: 'integer', nullable: false },
      { name: 'x', type: 'number', nullable: false },
      { name: 't', type: 'timestamp', nullable: false },
      { name: 'maybe', type: 'integer', nullable: true },
    ]);
    const types = ['n * 2', 'x / 2.0', 'n > 1', 't + duration("1h")', 'string(n)', '[n]', '{"k": n}', 'maybe', 'uint(n)'].map((e) => compileCel(env, e, 'p').type);
    expect(types).toEqual(['int', 'double', 'bool', 'google.protobuf.Timestamp', 'string', 'list<int>', 'map<string, int>', 'dyn', 'uint']);
    expect(types.map(outputTypeOfCel)).toEqual(['integer', 'number', 'boolean', 'timestamp', 'string', 'json', 'json', 'json', 'json']);
    expect(outputTypeOfCel('constructor')).toBe('json');
  });

  it('declares every column it can name, and leaves out the ones cel-js reserves or has built in', () => {
    const names = ['__proto__', 'prototype', 'for', 'type', 'string', 'map', 'constructor', 'toString', 'a-b'];
    const env = celEnvironment(names.map((name) => ({ name, type: 'integer' as const, nullable: false })));
    expect(compileCel(env, 'constructor + toString', 'p').type).toBe('int');
    const program = compileCel(env, 'constructor + toString', 'p').program;
    expect(program({ constructor: 1n, toString: 2n })).toBe(3n);
  });

  it('maps results to cells of their column type, and says when one does not fit', () => {
    expect(fromCelAs(5n, 'integer')).toBe(5);
    expect(fromCelAs(new Date('2019-01-01T00:30:00Z'), 'timestamp')).toBe(Date.UTC(2019, 0, 1, 0, 30));
    expect(fromCelAs(null, 'integer')).toBeNull();
    expect(fromCelAs([1n, 2n], 'json')).toBe('[1,2]');
    expect(fromCelAs(1.5, 'integer')).toEqual({ mismatch: '1.5 is a double, not integer' });
    expect(fromCelAs('7', 'number')).toEqual({ mismatch: '"7" is a string, not number' });
    expect(fromCelAs(2n ** 60n, 'integer')).toEqual({ mismatch: '1152921504606846976 is outside the safe integer range' });
    expect(fromCelAs(Number.NaN, 'number')).toEqual({ mismatch: 'NaN is not a finite number' });
  });
});
