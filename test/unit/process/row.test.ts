import { describe, expect, it } from 'vitest';
import { compileRowProcessor, Outcome } from '../../../shared/process/row.js';
import { pipelineOf } from '../../helpers.js';

const csv = (columns: Record<string, unknown>, transform: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  pipelineOf({ format: { type: 'csv' }, schema: { columns }, transform, ...extra });

describe('transform.cast', () => {
  const pipeline = csv(
    { s: { type: 'string' }, f: { type: 'string' }, b: { type: 'string' }, x: { type: 'number' }, t: { type: 'timestamp' }, d: { type: 'date' } },
    { cast: { s: 'integer', f: 'number', b: 'boolean', x: 'integer', t: 'string', d: 'string' } },
  );
  const header = ['s', 'f', 'b', 'x', 't', 'd'];

  it('casts text that spells the whole value, and times to ISO text', () => {
    const row = compileRowProcessor(pipeline, header);
    expect(row.columns.map((c) => c.type)).toEqual(['integer', 'number', 'boolean', 'integer', 'string', 'string']);
    expect(row.process(['-12', '1e5', 'TRUE', '2.0', '2019-01-01T00:30:00Z', '2019-01-01'], undefined)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([-12, 100000, true, 2, '2019-01-01T00:30:00.000Z', '2019-01-01']);
    expect(row.process(['+7', '-0.25', 'False', '-3', '', ''], undefined)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([7, -0.25, false, -3, null, null]);
    for (const [spelling, value] of [['true', true], ['FALSE', false], ['True', true], ['1', true], ['0', false]] as const) {
      expect(row.process(['1', '1', spelling, '1', '', ''], undefined)).toBe(Outcome.OUT);
      expect(row.values[2]).toBe(value);
    }
  });

  it('rejects a row whose values cannot be cast, with every failure', () => {
    const row = compileRowProcessor(pipeline, header);
    expect(row.process(['12abc', '0x1f', 'yes', '1.5', '', ''], undefined)).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([
      { column: 's', rule: 'cast', value: '12abc', message: '"12abc" cannot be cast to integer' },
      { column: 'f', rule: 'cast', value: '0x1f', message: '"0x1f" cannot be cast to number' },
      { column: 'b', rule: 'cast', value: 'yes', message: '"yes" cannot be cast to boolean' },
      { column: 'x', rule: 'cast', value: '1.5', message: '"1.5" cannot be cast to integer' },
    ]);
    expect(row.process(['9007199254740993', ' 5', 'constructor', '1', '', ''], undefined)).toBe(Outcome.REJECT);
    expect(row.failures.map((f) => f.value)).toEqual(['9007199254740993', ' 5', 'constructor']);
  });
});

describe('derived columns', () => {
  const pipeline = csv(
    { n: { type: 'integer', required: true }, x: { type: 'number', required: true }, t: { type: 'timestamp', required: true } },
    {
      derive: {
        twice: 'n * 2',
        half: 'x / 2.0',
        big: 'n > 1',
        later: 't + duration("30m")',
        label: 'string(n)',
        pair: '[n, n]',
        asText: 'n * 3',
      },
      cast: { asText: 'string', later: 'date' },
    },
  );

  it('carry the type CEL checks them to, with typed values', () => {
    const row = compileRowProcessor(pipeline, ['n', 'x', 't']);
    expect(row.columns.map((c) => [c.name, c.type])).toEqual([
      ['n', 'integer'], ['x', 'number'], ['t', 'timestamp'],
      ['twice', 'integer'], ['half', 'number'], ['big', 'boolean'], ['later', 'date'], ['label', 'string'], ['pair', 'json'], ['asText', 'string'],
    ]);
    expect(row.process(['21', '3', '2019-01-01T23:30:00Z'], undefined)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([21, 3, Date.UTC(2019, 0, 1, 23, 30), 42, 1.5, true, Date.UTC(2019, 0, 2), '21', '[21,21]', '63']);
  });

  it('reject a row whose value does not fit the checked type, naming the derive', () => {
    const row = compileRowProcessor(pipeline, ['n', 'x', 't']);
    // A timestamp that is not at midnight cannot become a date.
    expect(row.process(['21', '3', '2019-01-01T00:00:00Z'], undefined)).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([{ column: 'later', rule: 'cast', value: '2019-01-01T00:30:00.000Z', message: '"2019-01-01T00:30:00.000Z" cannot be cast to date' }]);
    const wide = compileRowProcessor(csv({ n: { type: 'integer', required: true }, x: { type: 'number', required: true } }, { derive: { huge: 'n * 1000000000000', inf: 'x / 0.0' } }), ['n', 'x']);
    expect(wide.process(['10000', '1'], undefined)).toBe(Outcome.REJECT);
    expect([...wide.failures]).toEqual([
      { column: 'huge', rule: 'derive.huge', message: 'derived value 10000000000000000 is outside the safe integer range' },
      { column: 'inf', rule: 'derive.inf', message: 'derived value Infinity is not a finite number' },
    ]);
  });
});

describe('column names', () => {
  it('work when CEL cannot name them or a plain object has them as prototype members', () => {
    const pipeline = csv(
      { type: { type: 'string' }, constructor: { type: 'integer', required: true }, toString: { type: 'string' } },
      { derive: { map: 'constructor * 2' }, cast: { type: 'integer' }, rename: { toString: 'text' } },
    );
    const row = compileRowProcessor(pipeline, ['type', 'constructor', 'toString']);
    expect(row.columns).toEqual([
      { name: 'type', type: 'integer' },
      { name: 'constructor', type: 'integer' },
      { name: 'text', type: 'string' },
      { name: 'map', type: 'integer' },
    ]);
    expect(row.process(['7', '21', 'x'], undefined)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([7, 21, 'x', 42]);
  });
});
