import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { compileColumn, type Failure } from '../../../shared/rules/columns.js';
import { compileTimeFormat } from '../../../shared/rules/time.js';
import { compilePattern, utcWall } from '../../../shared/rules/time-format.js';

const iso = (ms: number) => (Number.isNaN(ms) ? 'NaN' : new Date(ms).toISOString());
const at = (format: string | undefined, kind: 'date' | 'timestamp', text: string, zone?: string) => iso(compileTimeFormat(format, kind, zone)(text));

describe('date and time formats with dayjs/moment tokens', () => {
  it('reads variable-width, named-month, 12-hour, millisecond, offset and bracketed patterns', () => {
    const cases: [string, 'date' | 'timestamp', string, string][] = [
      ['M/D/YYYY H:mm', 'timestamp', '3/14/2025 1:20', '2025-03-14T01:20:00.000Z'],
      ['M/D/YYYY H:mm', 'timestamp', '12/8/2025 13:05', '2025-12-08T13:05:00.000Z'],
      ['M/D/YYYY', 'date', '12/8/2012', '2012-12-08T00:00:00.000Z'],
      ['D MMM YYYY h:mm A', 'timestamp', '14 Mar 2025 1:20 PM', '2025-03-14T13:20:00.000Z'],
      ['D MMM YYYY h:mm A', 'timestamp', '1 jan 2025 12:00 AM', '2025-01-01T00:00:00.000Z'],
      ['D MMM YYYY h:mm A', 'timestamp', '1 JAN 2025 12:30 pm', '2025-01-01T12:30:00.000Z'],
      ['YYYY-MM-DD[T]HH:mm:ss.SSSZ', 'timestamp', '2025-03-14T01:20:00.123+02:00', '2025-03-13T23:20:00.123Z'],
      ['YYYY-MM-DD[T]HH:mm:ss.SSSZ', 'timestamp', '2025-03-14T01:20:00.123Z', '2025-03-14T01:20:00.123Z'],
      ['YYYYMMDD HHmm ZZ', 'timestamp', '20250314 0120 -0130', '2025-03-14T02:50:00.000Z'],
      ['YYYY-MM-DD [at] HH:mm', 'timestamp', '2025-03-14 at 01:20', '2025-03-14T01:20:00.000Z'],
      ['DD.MM.YYYY HH:mm:ss', 'timestamp', '29.02.2024 24:00:00', '2024-03-01T00:00:00.000Z'],
      ['YYYYMMDDHHmm', 'timestamp', '199101010030', '1991-01-01T00:30:00.000Z'],
      // hh (two-digit 12-hour), m and s (minutes and seconds of one or two digits)
      ['YYYY-MM-DD hh:mm:ss A', 'timestamp', '2025-03-14 01:05:09 PM', '2025-03-14T13:05:09.000Z'],
      ['YYYY-MM-DD hh:mm A', 'timestamp', '2025-03-14 12:59 AM', '2025-03-14T00:59:00.000Z'],
      ['M/D/YYYY H:m:s', 'timestamp', '3/4/2025 7:5:9', '2025-03-04T07:05:09.000Z'],
      ['M/D/YYYY H:m:s', 'timestamp', '3/4/2025 17:45:30', '2025-03-04T17:45:30.000Z'],
    ];
    for (const [format, kind, text, want] of cases) expect(at(format, kind, text), `${format} ${text}`).toBe(want);
  });

  it('refuses what the pattern does not spell, and says why', () => {
    const cases: [string, string, string][] = [
      ['M/D/YYYY', '13/1/2025', 'month 13 does not exist'],
      ['M/D/YYYY', '2/30/2025', 'day 30 does not exist in 2025-02'],
      ['M/D/YYYY', '2/3/25', 'expected 4 digit(s) at character 5'],
      ['M/D/YYYY H:mm', '3/14/2025 1:2', 'expected 2 digit(s) at character 13'],
      ['h:mm A YYYY', '13:00 PM 2025', 'hour 13 is not a 12-hour hour (1–12)'],
      ['YYYY hh:mm A', '2025 1:05 PM', 'expected 2 digit(s) at character 6'],
      ['D MMM YYYY', '1 Foo 2025', 'expected a month name (Jan…Dec) at character 3'],
      ['YYYY-MM-DD', '2025-03-14 ', 'unexpected " " at character 11'],
      ['YYYY-MM-DD HH:mmZ', '2025-03-14 01:20+2', 'expected an offset (+HH:mm or Z) at character 17'],
    ];
    for (const [format, text, why] of cases) {
      const p = compileTimeFormat(format, 'timestamp');
      expect(Number.isNaN(p(text)), `${format} ${text}`).toBe(true);
      expect(p.why?.(text)).toBe(why);
    }
  });

  it('refuses patterns that cannot be dates when the config is read', () => {
    expect(() => compileTimeFormat('MM/DD', 'date')).toThrow(/has no YYYY/);
    expect(() => compileTimeFormat('YYYY h:mm', 'timestamp')).toThrow(/h and hh need A/);
    expect(() => compileTimeFormat('YYYY [at HH', 'timestamp')).toThrow(/never closed/);
    expect(() => compileTimeFormat('YYYY', 'timestamp', 'Mars/Olympus')).toThrow(/not an IANA time zone/);
    expect(() => parseConfig({ pipelines: [{ name: 'p', schema: { columns: { d: { type: 'date', format: 'DD.MM.YYYY', timezone: 'Europe/Berlin' } } } }] })).toThrow(/timezone applies to timestamp columns/);
  });

  it('reads local times in an IANA zone: a DST gap is a reject with its reason, an ambiguous time its first occurrence', () => {
    const ny = (text: string) => at('M/D/YYYY H:mm', 'timestamp', text, 'America/New_York');
    expect(ny('1/1/2019 0:00')).toBe('2019-01-01T05:00:00.000Z'); // EST, UTC-5
    expect(ny('7/1/2019 12:00')).toBe('2019-07-01T16:00:00.000Z'); // EDT, UTC-4
    expect(ny('3/10/2019 1:59')).toBe('2019-03-10T06:59:00.000Z');
    expect(ny('3/10/2019 2:30')).toBe('NaN'); // 02:00 EST jumps to 03:00 EDT
    expect(ny('3/10/2019 3:00')).toBe('2019-03-10T07:00:00.000Z');
    // 01:30 happens twice on 2019-11-03: first in EDT (05:30Z), then in EST (06:30Z).
    expect(ny('11/3/2019 1:30')).toBe('2019-11-03T05:30:00.000Z');
    expect(ny('11/3/2019 2:30')).toBe('2019-11-03T07:30:00.000Z');
    // Zones whose clocks change on the half hour: St. John's (UTC-3:30, from 02:00 to 03:00 and back),
    // Lord Howe (UTC+10:30, half an hour forward at 02:00, to UTC+11).
    const sj = (text: string) => at('M/D/YYYY H:mm', 'timestamp', text, 'America/St_Johns');
    expect(sj('3/10/2019 2:15')).toBe('NaN');
    expect(sj('3/10/2019 3:15')).toBe('2019-03-10T05:45:00.000Z');
    expect(sj('11/3/2019 1:10')).toBe('2019-11-03T03:40:00.000Z'); // first occurrence, daylight time
    expect(sj('11/3/2019 2:10')).toBe('2019-11-03T05:40:00.000Z');
    const lh = (text: string) => at('M/D/YYYY H:mm', 'timestamp', text, 'Australia/Lord_Howe');
    expect(lh('10/6/2019 2:15')).toBe('NaN');
    expect(lh('10/6/2019 2:45')).toBe('2019-10-05T15:45:00.000Z');
    const failures: Failure[] = [];
    const column = parseConfig({ pipelines: [{ name: 'p', schema: { columns: { t: { type: 'timestamp', format: 'M/D/YYYY H:mm', timezone: 'America/New_York' } } } }] }).pipelines[0]!.schema.columns.t!;
    expect(compileColumn('t', column, new Set(['']), 't')('3/10/2019 2:30', failures)).toBeNull();
    expect(failures.map((f) => f.message)).toEqual(['"3/10/2019 2:30" is not a timestamp in format M/D/YYYY H:mm: 2019-03-10 02:30 does not exist in America/New_York (the clocks skip it: a DST gap)']);
    // An offset in the text wins over the zone; ISO without one is the zone's local time.
    expect(at('YYYY-MM-DD HH:mmZ', 'timestamp', '2019-07-01 12:00Z', 'Europe/Berlin')).toBe('2019-07-01T12:00:00.000Z');
    expect(at('iso', 'timestamp', '2019-07-01T12:00:00', 'Europe/Berlin')).toBe('2019-07-01T10:00:00.000Z');
    expect(at(undefined, 'timestamp', '2019-07-01T12:00:00+02:00', 'Europe/Berlin')).toBe('2019-07-01T10:00:00.000Z');
  });

  it('refuses a time that an offset or 24:00 carries past the year 9999, which ISO text cannot hold', () => {
    const column = (c: Record<string, unknown>) => parseConfig({ pipelines: [{ name: 'p', schema: { columns: { t: c } } }] }).pipelines[0]!.schema.columns.t!;
    const read = (c: Record<string, unknown>, raw: string) => {
      const failures: Failure[] = [];
      return { value: compileColumn('t', column(c), new Set(['']), 't')(raw, failures), failures: failures.map((f) => f.message) };
    };
    expect(read({ type: 'timestamp' }, '9999-12-31T23:30:00-01:00')).toEqual({ value: null, failures: ['"9999-12-31T23:30:00-01:00" falls outside the years 0000–9999 (timestamp)'] });
    expect(read({ type: 'timestamp', format: 'YYYYMMDD HHmm' }, '99991231 2400').failures).toEqual(['"99991231 2400" falls outside the years 0000–9999 (timestamp)']);
    expect(read({ type: 'timestamp' }, '9999-12-31T23:59:59Z').value).toBe(253402300799000);
  });

  it('reads spreadsheet serial days, with Excel’s 1900 leap day refused', () => {
    expect(at('excel', 'timestamp', '43466')).toBe('2019-01-01T00:00:00.000Z');
    expect(at('excel', 'timestamp', '43466.5')).toBe('2019-01-01T12:00:00.000Z');
    expect(at('excel', 'date', '1')).toBe('1900-01-01T00:00:00.000Z');
    expect(at('excel', 'date', '59')).toBe('1900-02-28T00:00:00.000Z');
    expect(at('excel', 'date', '61')).toBe('1900-03-01T00:00:00.000Z');
    for (const bad of ['60', '60.5', '0', '-1', '1e3', '', 'abc']) expect(at('excel', 'date', bad), bad).toBe('NaN');
  });
});

describe('the fixed-width reader', () => {
  it('agrees with the token parser on every text of a fixed pattern, digits or not', () => {
    const chars = fc.constantFrom(...'0123456789012345678901234567890-:T /x'.split(''));
    for (const pattern of ['YYYYMMDDHHmm', 'YYYY-MM-DD HH:mm:ss', 'DD/MM/YYYY']) {
      const fixed = compileTimeFormat(pattern, 'timestamp');
      const tokens = compilePattern(pattern, utcWall);
      fc.assert(
        fc.property(fc.array(chars, { minLength: pattern.length - 1, maxLength: pattern.length + 1 }), fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), fc.boolean(), (noise, date, real) => {
          const d = date.toISOString();
          const text = real ? pattern.replace('YYYY', d.slice(0, 4)).replace('MM', d.slice(5, 7)).replace('DD', d.slice(8, 10)).replace('HH', d.slice(11, 13)).replace('mm', d.slice(14, 16)).replace('ss', d.slice(17, 19)) : noise.join('');
          expect(fixed(text)).toEqual(tokens(text));
        }),
        { numRuns: 3000 },
      );
    }
  });
});
