import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompletenessCalendarSchema } from '../../../shared/config/schema.js';
import { loadConfig } from '../../../shared/config/load.js';
import { SlotCalendar } from '../../../shared/rules/calendar.js';
import { completenessGroups } from '../../../shared/report/completeness.js';
import { tempDir } from '../../helpers.js';

const HALF_HOUR = 1_800_000;
const slotOf = (iso: string) => Date.parse(iso) / HALF_HOUR;
const calendar = (c: Record<string, unknown>) => new SlotCalendar(CompletenessCalendarSchema.parse(c), HALF_HOUR);
// Monday 2024-01-01 00:00 UTC to Monday 2024-01-08 00:00 UTC: one week of half hours.
const WEEK = [slotOf('2024-01-01T00:00:00Z'), slotOf('2024-01-08T00:00:00Z')] as const;

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

describe('completeness calendars', () => {
  it('expects every slot by default, and only working days, hours and non-holidays when told', () => {
    expect(calendar({}).count(...WEEK)).toBe(336);
    const weekdays = calendar({ weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] });
    expect(weekdays.count(...WEEK)).toBe(5 * 48);
    // Saturday and Sunday are one run apart from the weekdays.
    expect(weekdays.runs(...WEEK)).toEqual([[WEEK[0], slotOf('2024-01-06T00:00:00Z')]]);
    expect(calendar({ weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2024-01-01'] }).count(...WEEK)).toBe(4 * 48);
    // 08:00 to 18:00: 20 half hours a day; 17:30 starts inside, 18:00 does not.
    const office = calendar({ weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { from: '08:00', to: '18:00' } });
    expect(office.count(...WEEK)).toBe(5 * 20);
    expect(office.runs(slotOf('2024-01-01T00:00:00Z'), slotOf('2024-01-02T00:00:00Z'))).toEqual([[slotOf('2024-01-01T08:00:00Z'), slotOf('2024-01-01T18:00:00Z')]]);
    // At +01:00, local Monday 08:00 is 07:00 UTC; Saturday stays out.
    const cet = calendar({ weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { from: '08:00', to: '18:00' }, utcOffset: '+01:00' });
    expect(cet.runs(slotOf('2024-01-01T00:00:00Z'), slotOf('2024-01-02T00:00:00Z'))).toEqual([[slotOf('2024-01-01T07:00:00Z'), slotOf('2024-01-01T17:00:00Z')]]);
    // Local Monday 00:00 at -05:00 is 05:00 UTC; the UTC Monday before it is local Sunday.
    expect(calendar({ weekdays: ['mon'], utcOffset: '-05:00' }).runs(...WEEK)).toEqual([[slotOf('2024-01-01T05:00:00Z'), slotOf('2024-01-02T05:00:00Z')]]);
    // A partial first and last day.
    expect(weekdays.count(slotOf('2024-01-05T23:00:00Z'), slotOf('2024-01-08T01:00:00Z'))).toBe(2 + 2);
  });

  it('refuses bad calendars with their paths', () => {
    expect(() => CompletenessCalendarSchema.parse({ hours: { from: '18:00', to: '08:00' } })).toThrow(/hours\.from must be before hours\.to/);
    expect(() => CompletenessCalendarSchema.parse({ holidays: ['2024-02-30'] })).toThrow(/not a calendar date/);
    expect(() => CompletenessCalendarSchema.parse({ weekdays: ['monday'] })).toThrow();
    expect(() => CompletenessCalendarSchema.parse({ weekdays: [] })).toThrow();
    expect(() => CompletenessCalendarSchema.parse({ utcOffset: '+1' })).toThrow(/an offset such as \+01:00/);
  });

  it('reads holidays from a file beside the config, and names a bad line', async () => {
    await mkdir(join(dir, 'cfg'), { recursive: true });
    await writeFile(join(dir, 'cfg/holidays.txt'), '# public holidays\n2024-01-01\n\n2024-12-25  # Christmas\n');
    const pipeline = (holidaysFile: string) => `pipelines:
  - name: p
    schema: { columns: { t: { type: timestamp } } }
    rules:
      dataset:
        - { type: completeness, column: t, interval: 30m, calendar: { weekdays: [mon, tue, wed, thu, fri], holidays: ['2024-05-01'], holidaysFile: ${holidaysFile} } }
`;
    await writeFile(join(dir, 'cfg/ok.yaml'), pipeline('holidays.txt'));
    const rule = (await loadConfig(join(dir, 'cfg/ok.yaml'))).pipelines[0]!.rules.dataset[0] as { calendar: { holidays: string[]; holidaysFile?: string } };
    expect(rule.calendar.holidays).toEqual(['2024-05-01', '2024-01-01', '2024-12-25']);
    expect(rule.calendar.holidaysFile).toBeUndefined();

    await writeFile(join(dir, 'cfg/bad.txt'), '2024-01-01\n1 May\n');
    await writeFile(join(dir, 'cfg/bad.yaml'), pipeline('bad.txt'));
    await expect(loadConfig(join(dir, 'cfg/bad.yaml'))).rejects.toThrow('pipelines[0].rules.dataset[0].calendar.holidaysFile: bad.txt:2: "1 May" is not a date as YYYY-MM-DD');
    await writeFile(join(dir, 'cfg/bad.txt'), '2024-02-29\n2023-02-29\n');
    await expect(loadConfig(join(dir, 'cfg/bad.yaml'))).rejects.toThrow('bad.txt:2: "2023-02-29" is not a date as YYYY-MM-DD');
    await writeFile(join(dir, 'cfg/missing.yaml'), pipeline('nowhere.txt'));
    await expect(loadConfig(join(dir, 'cfg/missing.yaml'))).rejects.toThrow(/calendar\.holidaysFile: cannot read nowhere\.txt/);
  });

  it('takes an approximate group\'s present slots to fall in the calendar as the calendar\'s slots fall in its span', () => {
    // Only counted (past the range bound): 300 slots present somewhere in a week of 336.
    const coverage = { rule: 0, column: 't', groupBy: [], intervalMs: HALF_HOUR, ranges: {}, counted: { '[]': [300, WEEK[0], WEEK[1]] as [number, number, number] } };
    expect(completenessGroups(coverage)[0]).toMatchObject({ present: 300, expected: 336, exact: false });
    // Weekdays expect 240 of the 336: 300 × 240 / 336 = 214.3, not all 240.
    expect(completenessGroups(coverage, calendar({ weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] }))[0]).toMatchObject({ present: 214, expected: 240, exact: false });
  });
});
