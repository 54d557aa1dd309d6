import { describe, expect, it } from 'vitest';
import { compileColumn, parseBooleanText, parseIntegerText, parseNumberText, type Failure } from '../../../shared/rules/columns.js';
import { pipelineOf } from '../../helpers.js';

describe('column text parsers', () => {
  it('read booleans only in their accepted spellings, never a prototype member', () => {
    expect(['true', 'false', 'TRUE', 'FALSE', 'True', 'False', '1', '0'].map(parseBooleanText)).toEqual([true, false, true, false, true, false, true, false]);
    expect(['yes', 'constructor', 'toString', '__proto__', 'tRUE', ''].map(parseBooleanText)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    const check = compileColumn('b', pipelineOf({ schema: { columns: { b: { type: 'boolean' } } } }).schema.columns.b!, new Set(['']), 'b');
    const failures: Failure[] = [];
    expect(check('constructor', failures)).toBeNull();
    expect(failures).toEqual([{ column: 'b', rule: 'type', value: 'constructor', message: '"constructor" is not a boolean' }]);
  });

  it('read integers and numbers as the column types do', () => {
    expect(['12', '-7', '+3', '007'].map(parseIntegerText)).toEqual([12, -7, 3, 7]);
    expect(['12abc', '1.5', '1e3', ' 5', '0x1f', '', '9007199254740993'].map(parseIntegerText)).toEqual([NaN, NaN, NaN, NaN, NaN, NaN, NaN]);
    expect(['1.5', '-0.25', '1e5', '2E-3', '12'].map(parseNumberText)).toEqual([1.5, -0.25, 100000, 0.002, 12]);
    expect(['1.5x', '0x1f', ' 5', 'Infinity', 'NaN', '', '1e999'].map(parseNumberText)).toEqual([NaN, NaN, NaN, NaN, NaN, NaN, NaN]);
  });
});
