import { describe, expect, it } from 'vitest';
import { compileTimeFormat, formatIso, parseInterval, parseIsoDate, parseIsoTimestamp } from '../../../shared/rules/time.js';

/** Each text with what the parser gives for it, so a failing case names its text. */
function readAll(parse: (text: string) => number, cases: [string, number][]) {
  expect(cases.map(([text]) => [text, parse(text)])).toEqual(cases);
}

describe('fixed-width time formats', () => {
  it('reads digits by position around literal separators', () => {
    readAll(compileTimeFormat('DD/MM/YYYY HH:mm', 'timestamp'), [
      ['31/12/2023 23:59', 1704067140000],
      ['01/01/2024 12:30', 1704112200000],
      ['31-12-2023 23:59', NaN],
      ['31/12/2023T23:59', NaN],
      ['31/12/2023 23-59', NaN],
      ['31/12/2023 23:5', NaN],
      ['31/12/2023 23:590', NaN],
      ['', NaN],
    ]);
  });

  it('reads a format with no separators, seconds included', () => {
    readAll(compileTimeFormat('YYYYMMDDHHmmss', 'timestamp'), [
      ['20240615080509', 1718438709000],
      ['20241231235959', 1735689599000],
      ['20240615080560', NaN],
      ['20240615086000', NaN],
      ['20240615250000', NaN],
    ]);
    readAll(compileTimeFormat('YYYYMMDDHHmm', 'timestamp'), [
      ['202401011230', 1704112200000],
      ['201901010030', 1546302600000],
    ]);
  });

  it('takes hour 24 only as the end of the day', () => {
    readAll(compileTimeFormat('YYYY-MM-DD HH:mm:ss', 'timestamp'), [
      ['2024-06-15 24:00:00', 1718496000000],
      ['2024-06-15 24:00:01', NaN],
      ['2024-06-15 24:01:00', NaN],
      ['2024-06-15 23:59:59', 1718495999000],
      ['2024-06-15 00:00:00', 1718409600000],
    ]);
  });

  it('refuses a month or day out of range, with leap years by the Gregorian rule', () => {
    readAll(compileTimeFormat('YYYYMMDD', 'date'), [
      ['20240229', 1709164800000],
      ['20000229', 951782400000],
      ['20230229', NaN],
      ['21000229', NaN],
      ['19000229', NaN],
      ['20230430', 1682812800000],
      ['20230431', NaN],
      ['20231231', 1703980800000],
      ['20231232', NaN],
      ['20231301', NaN],
      ['20230001', NaN],
      ['20230100', NaN],
    ]);
  });

  it('reads dates before 1970 and before March, where the civil-day arithmetic turns', () => {
    readAll(compileTimeFormat('YYYYMMDD', 'date'), [
      ['19691231', -86400000],
      ['19700102', 86400000],
      ['19000301', -2203891200000],
      ['16000301', -11670912000000],
      ['00010101', -62135596800000],
      ['00000101', -62167219200000],
      ['20000301', 951868800000],
      ['20240301', 1709251200000],
      ['20240101', 1704067200000],
    ]);
  });

  it('refuses a cell with a non-digit where a field is, including the characters either side of 0-9', () => {
    readAll(compileTimeFormat('YYYYMMDD', 'date'), [
      ['2O240101', NaN],
      ['2024/101', NaN],
      ['2024:101', NaN],
      ['202401 1', NaN],
      ['-2024010', NaN],
      // A character just below '0' or above '9' in a month or day must not read as a digit.
      ['20241/01', NaN],
      ['2024011:', NaN],
    ]);
    readAll(compileTimeFormat('YYYYMMDDHHmmss', 'timestamp'), [
      ['20240101x10000', NaN],
      ['2024010112x000', NaN],
      ['202401011200x0', NaN],
      ['2024010112000x', NaN],
    ]);
  });

  it('fills a month, day or time the format leaves out with the start of the period', () => {
    readAll(compileTimeFormat('YYYY', 'date'), [['2024', 1704067200000]]);
    readAll(compileTimeFormat('YYYYMM', 'date'), [['202403', 1709251200000]]);
    readAll(compileTimeFormat('YYYY-MM-DD', 'timestamp'), [['2024-06-15', 1718409600000], ['2024/06/15', NaN]]);
  });

  it('refuses a format with no year', () => {
    expect(() => compileTimeFormat('DDMM', 'date')).toThrow('format "DDMM" has no YYYY');
    expect(() => compileTimeFormat('', 'timestamp')).toThrow('format "" has no YYYY');
  });

  it('falls back to ISO 8601 when no format is given', () => {
    readAll(compileTimeFormat(undefined, 'date'), [['2024-02-29', 1709164800000], ['2024-02-29T00:00', NaN]]);
    readAll(compileTimeFormat(undefined, 'timestamp'), [['2024-02-29T00:00', 1709164800000], ['2024-02-29', NaN]]);
  });
});

describe('ISO 8601', () => {
  it('reads dates in full form only', () => {
    readAll(parseIsoDate, [
      ['2024-02-29', 1709164800000],
      ['1969-12-31', -86400000],
      ['2024-02-30', NaN],
      ['2024-00-10', NaN],
      ['24-02-29', NaN],
      ['2024-02-29 ', NaN],
      ['x2024-02-29', NaN],
      ['2024-2-29', NaN],
    ]);
  });

  it('reads timestamps with T or a space, optional seconds and fraction, and a zone', () => {
    readAll(parseIsoTimestamp, [
      ['2024-01-01T12:30:45Z', 1704112245000],
      ['2024-01-01 12:30:45', 1704112245000],
      ['2024-01-01T12:30', 1704112200000],
      ['2024-01-01T12:30Z', 1704112200000],
      ['2024-01-01T12:30:45.1Z', 1704112245100],
      ['2024-01-01T12:30:45.5', 1704112245500],
      ['2024-01-01T12:30:45.999Z', 1704112245999],
      ['2024-01-01T12:30:45.123456789Z', 1704112245123],
      ['2024-01-01T12:30:45+05:30', 1704092445000],
      ['2024-01-01T12:30:45-0800', 1704141045000],
      ['2024-01-01T12:30:45-00:30', 1704114045000],
      ['2024-01-01T12:30:45+00:00', 1704112245000],
      ['2024-01-01T12:30:45.5+01:00', 1704108645500],
      ['2024-01-01T24:00:00Z', 1704153600000],
    ]);
  });

  it('refuses timestamps out of range or out of form', () => {
    readAll(parseIsoTimestamp, [
      ['2024-01-01T12:60Z', NaN],
      ['2024-01-01T25:00Z', NaN],
      ['2024-01-01T24:00:01Z', NaN],
      ['2024-02-30T00:00Z', NaN],
      ['2024-01-01X12:30', NaN],
      ['2024-01-01T12:30:45+05', NaN],
      ['2024-01-01T12:30:45.1234567890Z', NaN],
      ['2024-01-01T12:30:45.Z', NaN],
      [' 2024-01-01T12:30Z', NaN],
      ['2024-01-01T12:30Z ', NaN],
      ['2024-01-01', NaN],
    ]);
  });

  it('formats epoch milliseconds as toISOString does, across days and before 1970', () => {
    const cases: [number, string][] = [
      [1718438709123, '2024-06-15T08:05:09.123Z'],
      [1718438709999, '2024-06-15T08:05:09.999Z'],
      [1718409600000, '2024-06-15T00:00:00.000Z'],
      [1718495999999, '2024-06-15T23:59:59.999Z'],
      [0, '1970-01-01T00:00:00.000Z'],
      [86399999, '1970-01-01T23:59:59.999Z'],
      [86400000, '1970-01-02T00:00:00.000Z'],
      [-1, '1969-12-31T23:59:59.999Z'],
      [-86400000, '1969-12-31T00:00:00.000Z'],
      [1718438709123, '2024-06-15T08:05:09.123Z'],
      [1704112245007, '2024-01-01T12:30:45.007Z'],
    ];
    expect(cases.map(([ms]) => [ms, formatIso(ms)])).toEqual(cases);
  });
});

describe('intervals', () => {
  it('reads a count and a unit of ms, s, m, h or d', () => {
    readAll(parseInterval, [
      ['500ms', 500],
      ['10s', 10000],
      ['30m', 1800000],
      ['1h', 3600000],
      ['2d', 172800000],
      ['0m', 0],
      ['1w', NaN],
      ['1.5h', NaN],
      ['m', NaN],
      ['30 m', NaN],
      [' 30m', NaN],
      ['30m ', NaN],
      ['', NaN],
    ]);
  });
});
