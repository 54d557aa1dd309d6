import { describe, expect, it } from 'vitest';
import type { ColumnTypeName } from '../../../shared/config/schema.js';
import { InputError } from '../../../shared/errors.js';
import { compileRowProcessor, Outcome, SLOW } from '../../../shared/process/row.js';
import type { Value } from '../../../shared/rules/columns.js';
import { pipelineOf } from '../../helpers.js';

const csv = (columns: Record<string, unknown>, transform: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  pipelineOf({ format: { type: 'csv' }, schema: { columns }, transform, ...extra });
const jsonl = (columns: Record<string, unknown>, extra: Record<string, unknown> = {}) => pipelineOf({ format: { type: 'jsonl' }, schema: { columns }, ...extra });

/** What one cell of type `from` becomes when cast to `to`: its value, or the failure's value text. */
function castOne(from: ColumnTypeName, raw: string, to: ColumnTypeName): Value | { fails: string } {
  const row = compileRowProcessor(csv({ a: { type: from, ...(from === 'enum' ? { values: [raw] } : {}) } }, { cast: { a: to } }), ['a']);
  const outcome = row.process([raw], undefined);
  if (outcome === Outcome.OUT) return row.values[0]!;
  expect(row.failures.map((f) => [f.rule, f.message])).toEqual([['cast', `"${row.failures[0]!.value}" cannot be cast to ${to}`]]);
  return { fails: row.failures[0]!.value! };
}

describe('transform.cast, type by type', () => {
  it('casts to string, times as ISO text', () => {
    const cases: [ColumnTypeName, string, ColumnTypeName, Value | { fails: string }][] = [
      ['timestamp', '2019-01-01T00:30:00Z', 'string', '2019-01-01T00:30:00.000Z'],
      ['date', '2019-01-01', 'string', '2019-01-01'],
      ['integer', '+5', 'string', '5'],
      ['number', '1.50', 'string', '1.5'],
      ['boolean', 'TRUE', 'string', 'true'],
      ['integer', '', 'string', null],
    ];
    expect(cases.map(([from, raw, to]) => [from, raw, to, castOne(from, raw, to)])).toEqual(cases);
  });

  it('casts to integer only whole, safe numbers and their spellings', () => {
    const cases: [ColumnTypeName, string, ColumnTypeName, Value | { fails: string }][] = [
      ['string', '12', 'integer', 12],
      ['string', '1.5', 'integer', { fails: '1.5' }],
      ['boolean', 'true', 'integer', 1],
      ['boolean', 'false', 'integer', 0],
      ['number', '2.0', 'integer', 2],
      ['number', '2.5', 'integer', { fails: '2.5' }],
      ['number', '1e300', 'integer', { fails: '1e+300' }],
      ['timestamp', '1970-01-01T00:00:01Z', 'integer', 1000],
    ];
    expect(cases.map(([from, raw, to]) => [from, raw, to, castOne(from, raw, to)])).toEqual(cases);
  });

  it('casts to number from text, booleans and numbers', () => {
    const cases: [ColumnTypeName, string, ColumnTypeName, Value | { fails: string }][] = [
      ['string', '1e3', 'number', 1000],
      ['string', '-12.5', 'number', -12.5],
      ['string', 'x', 'number', { fails: 'x' }],
      ['boolean', '1', 'number', 1],
      ['boolean', '0', 'number', 0],
      ['integer', '5', 'number', 5],
    ];
    expect(cases.map(([from, raw, to]) => [from, raw, to, castOne(from, raw, to)])).toEqual(cases);
  });

  it('casts to boolean from its spellings and from 1 and 0 only, never from a time', () => {
    const cases: [ColumnTypeName, string, ColumnTypeName, Value | { fails: string }][] = [
      ['string', 'True', 'boolean', true],
      ['string', 'yes', 'boolean', { fails: 'yes' }],
      ['boolean', 'false', 'boolean', false],
      ['integer', '1', 'boolean', true],
      ['integer', '0', 'boolean', false],
      ['integer', '2', 'boolean', { fails: '2' }],
      ['number', '1.0', 'boolean', true],
      ['number', '0.5', 'boolean', { fails: '0.5' }],
      ['timestamp', '1970-01-01T00:00:00Z', 'boolean', { fails: '1970-01-01T00:00:00.000Z' }],
      ['date', '1970-01-01', 'boolean', { fails: '1970-01-01' }],
    ];
    expect(cases.map(([from, raw, to]) => [from, raw, to, castOne(from, raw, to)])).toEqual(cases);
  });

  it('casts to timestamp from ISO text and from times, not from numbers', () => {
    const cases: [ColumnTypeName, string, ColumnTypeName, Value | { fails: string }][] = [
      ['string', '2019-01-01T00:30:00Z', 'timestamp', 1546302600000],
      ['string', 'soon', 'timestamp', { fails: 'soon' }],
      ['date', '2019-01-01', 'timestamp', 1546300800000],
      ['timestamp', '2019-01-01T00:30:00Z', 'timestamp', 1546302600000],
      ['integer', '5', 'timestamp', { fails: '5' }],
      ['boolean', 'true', 'timestamp', { fails: 'true' }],
    ];
    expect(cases.map(([from, raw, to]) => [from, raw, to, castOne(from, raw, to)])).toEqual(cases);
  });

  it('casts to date from ISO dates and from times at midnight only', () => {
    const cases: [ColumnTypeName, string, ColumnTypeName, Value | { fails: string }][] = [
      ['string', '2019-01-01', 'date', 1546300800000],
      ['string', '2019-01-01T00:00:00Z', 'date', { fails: '2019-01-01T00:00:00Z' }],
      ['timestamp', '2019-01-01T00:00:00Z', 'date', 1546300800000],
      ['timestamp', '2019-01-01T00:00:00.001Z', 'date', { fails: '2019-01-01T00:00:00.001Z' }],
      ['date', '2019-01-01', 'date', 1546300800000],
      ['integer', '86400000', 'date', { fails: '86400000' }],
    ];
    expect(cases.map(([from, raw, to]) => [from, raw, to, castOne(from, raw, to)])).toEqual(cases);
  });
});

describe('header', () => {
  const schema = { a: { type: 'integer' }, b: { type: 'string' } };
  const fails = (header: string[], columns: Record<string, unknown> = schema, extra: Record<string, unknown> = {}) => {
    try {
      compileRowProcessor(csv(columns, {}, extra), header, 'pipeline', 'sites/x.csv');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    return 'no error';
  };

  it('refuses a header with an empty or a repeated name, at line 1 of the file', () => {
    expect(fails(['a', ' '])).toBe('sites/x.csv:1: header column 2 has no name');
    expect(fails(['a', 'b', 'a'])).toBe('sites/x.csv:1: duplicate header name "a"');
    expect(fails(['a', ' a '])).toBe('sites/x.csv:1: duplicate header name "a"');
  });

  it('names the missing columns, the closest header names and what the header holds', () => {
    expect(fails(['a', 'site_id'], { a: {}, site: {} })).toBe('sites/x.csv:1: column "site" (did you mean "site_id"?) not in the header, which has 2 field(s): a, site_id; a column that may be absent needs allowMissing: true');
    expect(fails(['a;b'], schema)).toBe('sites/x.csv:1: columns "a", "b" not in the header, which has 1 field(s) (one field: is format.delimiter right?): a;b; a column that may be absent needs allowMissing: true');
    expect(fails(['xyz'], { a: { type: 'integer' } })).toBe('sites/x.csv:1: column "a" not in the header, which has 1 field(s): xyz; a column that may be absent needs allowMissing: true');
    const wide = Array.from({ length: 13 }, (_, i) => `h${i}`);
    expect(fails(wide, { a: {} })).toBe('sites/x.csv:1: column "a" not in the header, which has 13 field(s): h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11, …; a column that may be absent needs allowMissing: true');
    expect(fails(wide.slice(0, 12), { a: {} })).toBe('sites/x.csv:1: column "a" not in the header, which has 12 field(s): h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11; a column that may be absent needs allowMissing: true');
  });

  it('reads a missing column that may be absent as null, and a column by its source name', () => {
    const row = compileRowProcessor(csv({ a: { type: 'integer', allowMissing: true }, b: { source: 'B ' } }), [' B']);
    expect(row.inputColumns).toEqual([{ name: 'a', type: 'integer', index: -1 }, { name: 'b', type: 'string', index: 0 }]);
    expect(row.process(['x'], undefined)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([null, 'x']);
  });

  it('refuses, keeps or ignores header columns not in the schema', () => {
    expect(fails(['a', 'b', 'z', 'y'], schema, { schema: { columns: schema, unknownColumns: 'reject' } })).toBe('sites/x.csv:1: columns not in the schema: z, y');
    const keep = compileRowProcessor(pipelineOf({ schema: { columns: { a: { type: 'integer' } }, unknownColumns: 'keep' } }), ['z', 'a']);
    expect(keep.columns).toEqual([{ name: 'a', type: 'integer' }, { name: 'z', type: 'string' }]);
    expect(keep.process(['zz', '1'], undefined)).toBe(Outcome.OUT);
    expect([...keep.values]).toEqual([1, 'zz']);
    expect(keep.process(['', '2'], undefined)).toBe(Outcome.OUT);
    expect([...keep.values]).toEqual([2, null]);
    const ignore = compileRowProcessor(pipelineOf({ schema: { columns: { a: { type: 'integer' } } } }), ['z', 'a']);
    expect(ignore.columns).toEqual([{ name: 'a', type: 'integer' }]);
  });

  it('reads columns by position without a header', () => {
    const row = compileRowProcessor(csv(schema, {}, { format: { type: 'csv', header: false } }), undefined);
    expect(row.inputColumns.map((c) => c.index)).toEqual([0, 1]);
    expect(row.process(['7', 'x'], undefined)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([7, 'x']);
    expect(row.process(['7'], undefined)).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([{ rule: 'columns', value: '1', message: 'expected 2 fields, found 1' }]);
  });
});

describe('a row, through checks, rules and the filter', () => {
  it('rejects a row with the wrong number of fields, with its other failures', () => {
    const row = compileRowProcessor(csv({ a: { type: 'integer' }, b: {} }), ['a', 'b']);
    expect(row.process(['x', 'y', 'z'], undefined)).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([
      { column: 'a', rule: 'type', value: 'x', message: '"x" is not an integer' },
      { rule: 'columns', value: '3', message: 'expected 2 fields, found 3' },
    ]);
    expect(row.process(['1', 'y'], undefined)).toBe(Outcome.OUT);
    expect(row.failures).toEqual([]);
  });

  it('rejects on an error rule with its message, and only counts a warn rule', () => {
    const rules = { row: [{ name: 'pos', expr: 'n > 0' }, { name: 'small', expr: 'n < 10', severity: 'warn' }, { name: 'even', expr: 'n % 2 == 0', message: 'n must be even' }] };
    const row = compileRowProcessor(csv({ n: { type: 'integer', required: true } }, {}, { rules }), ['n']);
    expect(row.process(['4'], undefined)).toBe(Outcome.OUT);
    expect(row.warnings).toEqual([]);
    expect(row.process(['12'], undefined)).toBe(Outcome.OUT);
    expect(row.warnings).toEqual(['small']);
    expect(row.process(['-3'], undefined)).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([
      { rule: 'pos', message: 'rule pos failed: n > 0' },
      { rule: 'even', message: 'n must be even' },
    ]);
    expect(row.process(['13'], undefined)).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([{ rule: 'even', message: 'n must be even' }]);
    expect(row.warnings).toEqual(['small']);
  });

  it('rejects a row whose rule throws, with the first line of the error', () => {
    const rules = { row: [{ name: 'ratio', expr: '10 / n > 1' }] };
    const row = compileRowProcessor(csv({ n: { type: 'integer', required: true } }, {}, { rules }), ['n']);
    expect(row.process(['0'], undefined)).toBe(Outcome.REJECT);
    expect(row.failures).toHaveLength(1);
    expect(row.failures[0]!.message).toMatch(/^rule ratio failed: 10 \/ n > 1 \(\S[^\n]*\)$/);
    expect(row.process(['5'], undefined)).toBe(Outcome.OUT);
  });

  it('filters rows the filter does not keep, after the rules', () => {
    const row = compileRowProcessor(csv({ n: { type: 'integer', required: true } }, { filter: 'n != 3' }, { rules: { row: [{ name: 'pos', expr: 'n > 0' }] } }), ['n']);
    expect(row.process(['3'], undefined)).toBe(Outcome.FILTERED);
    expect(row.process(['4'], undefined)).toBe(Outcome.OUT);
    expect(row.process(['-3'], undefined)).toBe(Outcome.REJECT);
  });

  it('rejects a row whose derive or filter throws, naming it', () => {
    const derive = compileRowProcessor(csv({ n: { type: 'integer', required: true } }, { derive: { q: '10 / n' } }), ['n']);
    expect(derive.process(['0'], undefined)).toBe(Outcome.REJECT);
    expect(derive.failures.map((f) => f.rule)).toEqual(['derive.q']);
    expect(derive.failures[0]!.message).toMatch(/^\S[^\n]*$/);
    expect(derive.process(['5'], undefined)).toBe(Outcome.OUT);
    expect([...derive.values]).toEqual([5, 2]);
    const filter = compileRowProcessor(csv({ n: { type: 'integer', required: true } }, { filter: '10 / n > 1' }), ['n']);
    expect(filter.process(['0'], undefined)).toBe(Outcome.REJECT);
    expect(filter.failures.map((f) => f.rule)).toEqual(['filter']);
    expect(filter.failures[0]!.message).toMatch(/^\S[^\n]*$/);
    expect(filter.process(['20'], undefined)).toBe(Outcome.FILTERED);
  });

  it('sees a null cell as null in CEL', () => {
    const row = compileRowProcessor(csv({ n: { type: 'integer' } }, { filter: 'n == null' }), ['n']);
    expect(row.process([''], undefined)).toBe(Outcome.OUT);
    expect(row.process(['1'], undefined)).toBe(Outcome.FILTERED);
  });

  it('selects, orders and renames output columns', () => {
    const row = compileRowProcessor(csv({ a: {}, b: { type: 'integer' }, c: {} }, { select: ['c', 'b'], rename: { b: 'B' } }), ['a', 'b', 'c']);
    expect(row.columns).toEqual([{ name: 'c', type: 'string' }, { name: 'B', type: 'integer' }]);
    expect(row.process(['x', '2', 'z'], undefined)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual(['z', 2]);
  });

  it('keeps a number cell\'s text when it is already JSON, for writers to copy', () => {
    const row = compileRowProcessor(csv({ n: { type: 'number' }, i: { type: 'integer' }, s: {} }), ['n', 'i', 's']);
    expect(row.process(['1.50', '+5', '7'], undefined)).toBe(Outcome.OUT);
    expect([...row.texts]).toEqual(['1.50', undefined, undefined]);
    expect(row.process(['', '007', 'x'], undefined)).toBe(Outcome.OUT);
    expect([...row.texts]).toEqual([undefined, undefined, undefined]);
    const selected = compileRowProcessor(csv({ n: { type: 'number' }, i: { type: 'integer' } }, { select: ['i', 'n'], cast: { n: 'string' } }), ['n', 'i']);
    expect(selected.process(['2.50', '12'], undefined)).toBe(Outcome.OUT);
    expect([...selected.values]).toEqual([12, '2.5']);
    expect([...selected.texts]).toEqual(['12', undefined]);
  });
});

describe('the line reader of unquoted lines', () => {
  it('reads a line in place, and leaves a reject to the general path', () => {
    const row = compileRowProcessor(csv({ a: { type: 'integer' }, b: {} }), ['a', 'b']);
    const line = 'xx12,hello;';
    expect(row.processLine!(line, 2, 10)).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([12, 'hello']);
    expect(row.processLine!('zz,hello', 0, 8)).toBe(SLOW);
    expect(compileRowProcessor(jsonl({ a: {} }), undefined).processLine).toBeUndefined();
  });

  it('reads a simple quoted field in place, and hands back any other quote', () => {
    const row = compileRowProcessor(csv({ a: { type: 'integer' }, b: {}, c: {} }), ['a', 'b', 'c']);
    const take = (line: string) => {
      const outcome = row.processLine!(line, 0, line.length, line.indexOf('"') === -1 ? undefined : line.indexOf('"'));
      return outcome === SLOW ? 'SLOW' : [...row.values];
    };
    expect(take('1,"x,y",z')).toEqual([1, 'x,y', 'z']);
    expect(take('2,b,"last, field"')).toEqual([2, 'b', 'last, field']);
    expect(take('3,"",""')).toEqual([3, null, null]);
    expect(take('4,"é",""')).toEqual([4, 'é', null]);
    // The general path's: a doubled quote, a quoted number, text after the closing quote, a quote
    // inside an unquoted field, a quote not closed on the line, a field count that is off.
    for (const line of ['5,"p""q",z', '"6",b,c', '7,"b"x,c', '8,b"c,d', '9,"open', '10,"b,c"', '11,"b","c","d"', '12,b,"c"d']) expect(take(line)).toBe('SLOW');
    // With no quote character (TSV), a quote is text.
    const tsv = compileRowProcessor({ ...csv({ a: {}, b: {} }), format: { ...csv({}).format, type: 'tsv', delimiter: '\t', quote: '' } }, ['a', 'b']);
    expect(tsv.processLine!('"x\t"y', 0, 6, 0)).toBe(Outcome.OUT);
    expect([...tsv.values]).toEqual(['"x', '"y']);
  });
});

describe('JSONL records', () => {
  it('reads each value as text the column type checks, and a missing or null key as null', () => {
    const row = compileRowProcessor(jsonl({ i: { type: 'integer' }, b: { type: 'boolean' }, s: {}, o: {}, m: {}, constructor: {} }), undefined);
    expect(row.process(undefined, { i: 5, b: true, s: 'x', o: { k: [1, 'a'] }, m: null })).toBe(Outcome.OUT);
    expect([...row.values]).toEqual([5, true, 'x', '{"k":[1,"a"]}', null, null]);
    expect(row.process(undefined, { i: '6', b: 'no' })).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([{ column: 'b', rule: 'type', value: 'no', message: '"no" is not a boolean' }]);
  });

  it('keeps, refuses or ignores keys not in the schema', () => {
    const keep = compileRowProcessor(jsonl({ a: { type: 'integer' } }, { schema: { columns: { a: { type: 'integer' } }, unknownColumns: 'keep' } }), undefined);
    expect(keep.process(undefined, { a: 1, k: 1, j: 'x' })).toBe(Outcome.OUT);
    expect(keep.extra).toBe('"k":1,"j":"x"');
    expect(keep.process(undefined, { a: 2 })).toBe(Outcome.OUT);
    expect(keep.extra).toBeUndefined();
    const reject = compileRowProcessor(jsonl({ a: {} }, { schema: { columns: { a: {} }, unknownColumns: 'reject' } }), undefined);
    expect(reject.process(undefined, { a: 'x', k: 1, j: 2 })).toBe(Outcome.REJECT);
    expect([...reject.failures]).toEqual([
      { column: 'k', rule: 'unknownColumns', message: 'key "k" is not in the schema' },
      { column: 'j', rule: 'unknownColumns', message: 'key "j" is not in the schema' },
    ]);
    const ignore = compileRowProcessor(jsonl({ a: {} }), undefined);
    expect(ignore.process(undefined, { a: 'x', k: 1 })).toBe(Outcome.OUT);
    expect(ignore.extra).toBeUndefined();
  });

  it('refuses a kept key that collides with an output column', () => {
    const p = pipelineOf({ format: { type: 'jsonl' }, schema: { columns: { a: {} }, unknownColumns: 'keep' }, transform: { rename: { a: 'k' } } });
    const row = compileRowProcessor(p, undefined);
    expect(row.process(undefined, { a: 'x', k: 1 })).toBe(Outcome.REJECT);
    expect([...row.failures]).toEqual([{ column: 'k', rule: 'unknownColumns', message: 'kept key "k" collides with the output column of that name' }]);
  });
});
