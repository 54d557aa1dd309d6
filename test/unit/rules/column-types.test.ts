import { describe, expect, it } from 'vitest';
import { ColumnSchema } from '../../../shared/config/schema.js';
import { ConfigError } from '../../../shared/errors.js';
import { columnBound, compileColumn, isJsonNumber, parseIntegerText, parseNumberText, parseSimpleDecimal, type Failure, type Value } from '../../../shared/rules/columns.js';

/** Compiles a column from its config and reads one cell, returning the typed value and every failure. */
function read(spec: Record<string, unknown>, raw: string | undefined, nullValues: string[] = ['']): { value: Value; failures: Failure[] } {
  const check = compileColumn('c', ColumnSchema.parse(spec), new Set(nullValues), 'pipelines[0].schema.columns.c');
  const failures: Failure[] = [];
  return { value: check(raw, failures), failures };
}

type Case = [raw: string | undefined, value: Value, failure?: { rule: string; message: string }];

/** Runs a table of cells through one column: each gives its value and, when it fails, its one failure. */
function table(spec: Record<string, unknown>, cases: Case[], nullValues?: string[]) {
  for (const [raw, value, failure] of cases) {
    const got = read(spec, raw, nullValues);
    expect({ raw, ...got }).toEqual({ raw, value, failures: failure ? [{ column: 'c', value: raw ?? '', ...failure }] : [] });
  }
}

describe('column types', () => {
  it('reads a string as it is, and a null marker or a missing cell as null', () => {
    table({ type: 'string' }, [
      ['abc', 'abc'],
      [' padded ', ' padded '],
      ['0', '0'],
      ['', null],
      [undefined, null],
    ]);
  });

  it('reads integers: an optional sign and digits within the safe range', () => {
    table({ type: 'integer' }, [
      ['42', 42],
      ['-7', -7],
      ['+3', 3],
      ['007', 7],
      ['0', 0],
      ['9007199254740991', 9007199254740991],
      ['-9007199254740991', -9007199254740991],
      ['9007199254740992', null, { rule: 'type', message: '"9007199254740992" is not an integer' }],
      ['1.5', null, { rule: 'type', message: '"1.5" is not an integer' }],
      ['1e3', null, { rule: 'type', message: '"1e3" is not an integer' }],
      ['12abc', null, { rule: 'type', message: '"12abc" is not an integer' }],
      [' 5', null, { rule: 'type', message: '" 5" is not an integer' }],
      ['5 ', null, { rule: 'type', message: '"5 " is not an integer' }],
      ['0x1f', null, { rule: 'type', message: '"0x1f" is not an integer' }],
      ['1_000', null, { rule: 'type', message: '"1_000" is not an integer' }],
      ['', null],
    ]);
  });

  it('reads numbers: plain decimals, exponents, and no hex, binary, octal or blanks', () => {
    table({ type: 'number' }, [
      ['12.5', 12.5],
      ['-12.5', -12.5],
      ['-0.25', -0.25],
      ['.5', 0.5],
      ['5.', 5],
      ['1e5', 100000],
      ['2E-3', 0.002],
      ['-1.5e2', -150],
      ['1234567890123456.5', 1234567890123456.5],
      ['Infinity', null, { rule: 'type', message: '"Infinity" is not a number' }],
      ['NaN', null, { rule: 'type', message: '"NaN" is not a number' }],
      ['1e999', null, { rule: 'type', message: '"1e999" is not a number' }],
      ['0x10', null, { rule: 'type', message: '"0x10" is not a number' }],
      ['1.2.3', null, { rule: 'type', message: '"1.2.3" is not a number' }],
      ['', null],
    ]);
  });

  it('reads booleans in their eight spellings and nothing else', () => {
    table({ type: 'boolean' }, [
      ['true', true],
      ['False', false],
      ['1', true],
      ['0', false],
      ['yes', null, { rule: 'type', message: '"yes" is not a boolean' }],
      ['', null],
    ]);
  });

  it('reads ISO dates as epoch milliseconds at UTC midnight, and refuses days the month lacks', () => {
    table({ type: 'date' }, [
      ['2024-02-29', 1709164800000],
      ['2024-01-01', 1704067200000],
      ['1969-12-31', -86400000],
      ['2023-02-29', null, { rule: 'type', message: '"2023-02-29" is not a date' }],
      ['2024-13-01', null, { rule: 'type', message: '"2024-13-01" is not a date' }],
      ['2024-1-01', null, { rule: 'type', message: '"2024-1-01" is not a date' }],
      ['', null],
    ]);
  });

  it('reads dates in a fixed-width format, and names the format when a cell does not fit it', () => {
    table({ type: 'date', format: 'YYYYMMDD' }, [
      ['20240229', 1709164800000],
      ['2024-02-29', null, { rule: 'type', message: '"2024-02-29" is not a date in format YYYYMMDD: expected 2 digit(s) at character 5' }],
    ]);
  });

  it('reads ISO timestamps with or without a zone, a missing zone as UTC', () => {
    table({ type: 'timestamp' }, [
      ['2024-01-01T12:30:45Z', 1704112245000],
      ['2024-01-01 12:30:45', 1704112245000],
      ['2024-01-01T13:30:45+01:00', 1704112245000],
      ['2024-01-01T12:30', 1704112200000],
      ['2024-01-01T12:30:45.5Z', 1704112245500],
      ['2024-01-01', null, { rule: 'type', message: '"2024-01-01" is not a timestamp' }],
    ]);
  });

  it('reads timestamps in a fixed-width format', () => {
    table({ type: 'timestamp', format: 'YYYYMMDDHHmm' }, [
      ['202401011230', 1704112200000],
      ['2024010112', null, { rule: 'type', message: '"2024010112" is not a timestamp in format YYYYMMDDHHmm: expected 2 digit(s) at character 11' }],
    ]);
  });

  it('reads an enum value only when it is listed, naming the listed values', () => {
    table({ type: 'enum', values: ['a', 'b'] }, [
      ['a', 'a'],
      ['b', 'b'],
      ['c', null, { rule: 'enum', message: 'not one of a, b' }],
      ['A', null, { rule: 'enum', message: 'not one of a, b' }],
      ['', null],
    ]);
  });
});

describe('column checks', () => {
  it('requires a value: a null marker or a missing cell is a reject, and any other text passes', () => {
    table({ type: 'string', required: true }, [
      ['x', 'x'],
      ['', null, { rule: 'required', message: 'is required' }],
      [undefined, null, { rule: 'required', message: 'is required' }],
      ['NA', null, { rule: 'required', message: 'is required' }],
    ], ['', 'NA']);
    table({ type: 'integer', required: true }, [['', null, { rule: 'required', message: 'is required' }]]);
    table({ type: 'integer', required: false }, [['', null]]);
  });

  it('knows every null marker, whether there are a few or many', () => {
    const many = ['', 'NA', 'NULL', '-9999', 'n/a', 'none'];
    table({ type: 'integer', required: true }, [
      ['none', null, { rule: 'required', message: 'is required' }],
      ['-9999', null, { rule: 'required', message: 'is required' }],
      ['-9998', -9998],
    ], many);
    table({ type: 'integer' }, [
      ['-9999', null],
      ['NULL', null],
      ['7', 7],
    ], ['NULL', '-9999']);
  });

  it('checks min and max inclusively, with the bound as written in the message', () => {
    table({ type: 'integer', min: 0, max: 10 }, [
      ['0', 0],
      ['10', 10],
      ['-1', null, { rule: 'min', message: '-1 is below min 0' }],
      ['11', null, { rule: 'max', message: '11 is above max 10' }],
    ]);
    table({ type: 'number', min: -1.5, max: 1.5 }, [
      ['-1.5', -1.5],
      ['1.5', 1.5],
      ['-1.51', null, { rule: 'min', message: '-1.51 is below min -1.5' }],
      ['1.51', null, { rule: 'max', message: '1.51 is above max 1.5' }],
    ]);
  });

  it('checks date and timestamp bounds written as ISO text', () => {
    table({ type: 'date', min: '2024-01-01', max: '2024-12-31' }, [
      ['2024-01-01', 1704067200000],
      ['2024-12-31', 1735603200000],
      ['2023-12-31', null, { rule: 'min', message: '2023-12-31 is below min 2024-01-01' }],
      ['2025-01-01', null, { rule: 'max', message: '2025-01-01 is above max 2024-12-31' }],
    ]);
    table({ type: 'timestamp', min: '2024-01-01T00:00:00Z' }, [
      ['2024-01-01T00:00:00Z', 1704067200000],
      ['2023-12-31T23:59:59Z', null, { rule: 'min', message: '2023-12-31T23:59:59Z is below min 2024-01-01T00:00:00Z' }],
    ]);
  });

  it('ignores min and max on string and enum columns', () => {
    table({ type: 'string', min: 'zzz', max: 'aaa' }, [['m', 'm']]);
    table({ type: 'enum', values: ['m'], min: 'zzz', max: 'aaa' }, [['m', 'm']]);
  });

  it('matches a pattern against the whole value, with Unicode classes', () => {
    table({ type: 'string', pattern: 'a+' }, [
      ['aaa', 'aaa'],
      ['aab', null, { rule: 'pattern', message: 'does not match /a+/' }],
      ['baa', null, { rule: 'pattern', message: 'does not match /a+/' }],
    ]);
    table({ type: 'string', pattern: 'x|y' }, [
      ['y', 'y'],
      ['xy', null, { rule: 'pattern', message: 'does not match /x|y/' }],
    ]);
    table({ type: 'string', pattern: '\\p{L}+' }, [
      ['été', 'été'],
      ['é1', null, { rule: 'pattern', message: 'does not match /\\p{L}+/' }],
    ]);
  });

  it('checks an exact length or a range, open at either end', () => {
    table({ type: 'string', length: 3 }, [
      ['abc', 'abc'],
      ['ab', null, { rule: 'length', message: 'length 2 is outside 3..3' }],
      ['abcd', null, { rule: 'length', message: 'length 4 is outside 3..3' }],
    ]);
    table({ type: 'string', length: { min: 2 } }, [
      ['ab', 'ab'],
      ['abcdefghij', 'abcdefghij'],
      ['a', null, { rule: 'length', message: 'length 1 is outside 2..∞' }],
    ]);
    table({ type: 'string', length: { max: 2 } }, [
      ['x', 'x'],
      ['ab', 'ab'],
      ['abc', null, { rule: 'length', message: 'length 3 is outside 0..2' }],
    ]);
  });

  it('reports only the first failing check of a cell: length, then pattern, then values', () => {
    table({ type: 'enum', values: ['aa', 'bb'], length: 2, pattern: '[a-z]+' }, [
      ['aa', 'aa'],
      ['abc', null, { rule: 'length', message: 'length 3 is outside 2..2' }],
      ['A1', null, { rule: 'pattern', message: 'does not match /[a-z]+/' }],
      ['cc', null, { rule: 'enum', message: 'not one of aa, bb' }],
    ]);
  });

  it('reads an ISO bound to epoch milliseconds, and names the config path of one that is not ISO', () => {
    expect(columnBound('date', '2024-02-29', 'p.min')).toBe(1709164800000);
    expect(columnBound('timestamp', '2024-01-01T00:00:00+01:00', 'p.min')).toBe(1704063600000);
    expect(columnBound('integer', 5, 'p.min')).toBe(5);
    expect(columnBound('integer', undefined, 'p.min')).toBeUndefined();
    expect(() => columnBound('date', '2024-02-30', 'p.min')).toThrow(new ConfigError('p.min', '"2024-02-30" is not an ISO date'));
    expect(() => columnBound('timestamp', 'soon', 'p.max')).toThrow(new ConfigError('p.max', '"soon" is not an ISO timestamp'));
    expect(() => columnBound('date', '2024-02-30', 'p.min')).toThrow(ConfigError);
  });

  it('refuses a bad bound or time format when the column compiles, at the config path', () => {
    const path = 'pipelines[0].schema.columns.c';
    expect(() => read({ type: 'integer', min: 'low' }, '1')).toThrow(`${path}.min: "low" is not an ISO timestamp`);
    expect(() => read({ type: 'date', max: 'high' }, '1')).toThrow(`${path}.max: "high" is not an ISO date`);
    expect(() => read({ type: 'date', format: 'MMDD' }, '0101')).toThrow(`${path}.format: format "MMDD" has no YYYY`);
    expect(() => read({ type: 'timestamp', format: 'HHmm' }, '0101')).toThrow(ConfigError);
  });
});

describe('number text', () => {
  it('parses plain decimals of up to 15 digits, keeping the minus sign', () => {
    const cases: [string, number][] = [
      ['-12.5', -12.5],
      ['12.5', 12.5],
      ['-0.25', -0.25],
      ['0', 0],
      ['9', 9],
      ['90.09', 90.09],
      ['0.001', 0.001],
      ['-.5', -0.5],
      ['5.', 5],
      ['123456789012345', 123456789012345],
      ['1.23456789012345', 1.23456789012345],
      ['-999999999999999', -999999999999999],
    ];
    expect(cases.map(([s]) => [s, parseSimpleDecimal(s)])).toEqual(cases);
  });

  it('gives NaN for text it leaves to Number: signs it does not take, exponents, 16 digits, blanks', () => {
    const texts = ['', '-', '.', '-.', '+5', '1e5', '1.2.3', '12a', '1/2', '1:2', ' 5', '1234567890123456', '0.123456789012345678'];
    expect(texts.map((s) => [s, parseSimpleDecimal(s)])).toEqual(texts.map((s) => [s, NaN]));
  });

  it('parses number text through Number when the plain parser cannot, but only decimal text', () => {
    const cases: [string, number][] = [
      ['-12.5', -12.5],
      ['1234567890123456', 1234567890123456],
      ['-1234567890123456', -1234567890123456],
      ['+5', 5],
      ['1e5', 100000],
      ['1E+2', 100],
      ['0x10', NaN],
      ['0X10', NaN],
      ['0b10', NaN],
      ['0B10', NaN],
      ['0o10', NaN],
      ['0O10', NaN],
      ['00', 0],
      [' 5', NaN],
      ['5 ', NaN],
      ['\t5', NaN],
      ['5\n', NaN],
      ['', NaN],
      ['-', NaN],
      ['Infinity', NaN],
      ['-Infinity', NaN],
    ];
    expect(cases.map(([s]) => [s, parseNumberText(s)])).toEqual(cases);
  });

  it('parses integer text only as decimal digits with an optional sign', () => {
    const cases: [string, number][] = [
      ['12', 12],
      ['-12', -12],
      ['+12', 12],
      ['0', 0],
      ['9', 9],
      ['1e3', NaN],
      ['1.0', NaN],
      ['5.', NaN],
      ['+-1', NaN],
      ['0x10', NaN],
      ['0b1', NaN],
      ['0o7', NaN],
      ['1/2', NaN],
      ['1:2', NaN],
      ['-', NaN],
      ['', NaN],
      [' 1', NaN],
    ];
    expect(cases.map(([s]) => [s, parseIntegerText(s)])).toEqual(cases);
  });

  it('tells JSON number text from text a writer must format', () => {
    const json = ['0', '-0', '7', '9', '95', '19', '-12.5', '10', '0.5', '0.9', '1e5', '1E5', '1e9', '1e+5', '1e-5', '-1.25E-10', '1234567890'];
    const notJson = ['', '-', '+5', '01', '.5', '5.', '1e', '1e+', '1.e5', 'e5', '0x10', '1 ', ' 1', 'NaN', '1.2.3', '12a', '1/2', '1:2', '-a'];
    expect(json.filter((s) => !isJsonNumber(s))).toEqual([]);
    expect(notJson.filter((s) => isJsonNumber(s))).toEqual([]);
  });
});
