import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const HALF_HOUR = 1_800_000;
const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 12);
const tsv = (rows: readonly (readonly [site: string, ms: number])[]) =>
  `SITE_ID\tTIMESTAMP_START\tNEE\n${rows.map(([site, t], i) => `${site}\t${stamp(t)}\t${(i % 7) - 3}.5\n`).join('')}`;

function config(rule: Record<string, unknown>, chunking: Record<string, unknown> = { strategy: 'whole-file' }) {
  return parseConfig({
    pipelines: [
      {
        name: 'halfhours',
        format: { type: 'tsv' },
        chunking,
        schema: {
          columns: {
            SITE_ID: { type: 'string', required: true },
            TIMESTAMP_START: { type: 'timestamp', format: 'YYYYMMDDHHmm', required: true },
            NEE: { type: 'number' },
          },
        },
        rules: { dataset: [{ type: 'completeness', name: 'halfhourly', column: 'TIMESTAMP_START', interval: '30m', ...rule }] },
      },
    ],
  });
}

async function run(name: string, text: string, cfg: ReturnType<typeof config>, workers = 1) {
  const file = join(dir, `${name}.tsv`);
  await writeFile(file, text);
  const out = join(dir, `out-${name}`);
  const [job] = await runLocal({ config: cfg, files: [file], out, workers });
  const reportDir = join(out, 'reports/halfhours', job!.jobId);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as JobReport;
  return { job: job!, report, html: await readFile(join(reportDir, 'report.html'), 'utf8') };
}

/** Two sites on 2019-01-03: DE-Tha has all 48 half hours, US-Ha1 lacks 10:00 to 12:30 (6 slots). */
function twoSites(): [string, number][] {
  const day = Date.UTC(2019, 0, 3);
  const rows: [string, number][] = [];
  for (let s = 0; s < 48; s++) {
    rows.push(['DE-Tha', day + s * HALF_HOUR]);
    if (s < 20 || s > 25) rows.push(['US-Ha1', day + s * HALF_HOUR]);
  }
  return rows;
}

describe('completeness end to end', () => {
  it('counts distinct half hours, not rows: 2 of 21 present 20 times each is 9.52% and fails', async () => {
    const t0 = Date.UTC(2019, 0, 1);
    const rows: [string, number][] = [];
    for (let i = 0; i < 20; i++) rows.push(['US-Ha1', t0], ['US-Ha1', t0 + 20 * HALF_HOUR]);
    const { job, report } = await run('two-of-21', tsv(rows), config({ min: 0.9 }));

    expect(report.accounting.rowsOut).toBe(40);
    const [rule] = report.datasetRules;
    expect(rule).toMatchObject({ name: 'halfhourly', type: 'completeness', passed: false });
    expect(rule!.ratio).toBeCloseTo(2 / 21, 10);
    expect(rule!.detail).toBe('2 of 21 expected 30m slots (9.52%, min 90%); missing 2019-01-01T00:30:00.000Z … 2019-01-01T09:30:00.000Z (19 slots)');
    expect(job.status).toBe('FAILED');
    expect(job.error).toContain('dataset rule failed: halfhourly (2 of 21 expected 30m slots');
  });

  it('checks each SITE_ID on its own and lists the missing half hours of the site that lacks them', async () => {
    const { job, report, html } = await run('two-sites', tsv(twoSites()), config({ min: 0.95, groupBy: ['SITE_ID'] }));

    const [rule] = report.datasetRules;
    expect(rule!.passed).toBe(false);
    expect(rule!.ratio).toBe(90 / 96);
    expect(rule!.detail).toBe(
      '90 of 96 expected 30m slots (93.75%, min 95%) over 2 groups by SITE_ID; ' +
        'US-Ha1: 42 of 48 (87.50%), missing 2019-01-03T10:00:00.000Z … 2019-01-03T12:30:00.000Z (6 slots); ' +
        'DE-Tha: 48 of 48 (100.00%)',
    );
    expect(rule!.groups).toEqual([
      { group: 'US-Ha1', values: ['US-Ha1'], present: 42, expected: 48, ratio: 0.875, exact: true, gapCount: 1, gaps: [{ from: '2019-01-03T10:00:00.000Z', to: '2019-01-03T12:30:00.000Z', slots: 6 }] },
      { group: 'DE-Tha', values: ['DE-Tha'], present: 48, expected: 48, ratio: 1, exact: true, gapCount: 0, gaps: [] },
    ]);
    expect(job.status).toBe('FAILED');
    expect(html).toContain('US-Ha1: 2019-01-03T10:00:00.000Z … 2019-01-03T12:30:00.000Z (6 slots)');
    expect(html).toContain('Time coverage of TIMESTAMP_START (30m, 2 groups by SITE_ID)');
  });

  it('reports the same coverage whether the file is one chunk or many, in time order or shuffled, on one worker or two', async () => {
    const rows = twoSites();
    const whole = await run('whole', tsv(rows), config({ groupBy: ['SITE_ID'], min: 0.9 }));
    // A fixed shuffle, so sites and half hours reach the chunks out of order.
    const shuffled = rows.map((r, i) => ({ r, k: (i * 7919) % rows.length })).sort((a, b) => a.k - b.k).map((x) => x.r);
    for (const [name, text, workers] of [
      ['chunked', tsv(rows), 2],
      ['shuffled', tsv(shuffled), 2],
      ['shuffled-one-worker', tsv(shuffled), 1],
    ] as const) {
      const r = await run(name, text, config({ groupBy: ['SITE_ID'], min: 0.9 }, { strategy: 'bytes', targetSize: 300 }), workers);
      expect(r.report.plan.chunks, name).toBeGreaterThan(5);
      expect(r.report.datasetRules, name).toEqual(whole.report.datasetRules);
      expect(r.report.stats.coverage, name).toEqual(whole.report.stats.coverage);
    }
    expect(whole.report.datasetRules[0]).toMatchObject({ passed: true, ratio: 90 / 96 });
    expect(whole.job.status).toBe('SUCCEEDED');
  });

  it('passes a weekday-only series with a working-day calendar, where weekends are not missing, and names only working-day gaps', async () => {
    // Mon 2024-01-01 to Fri 2024-01-12, half-hourly on weekdays; Tuesday 2024-01-09 10:00-11:00 lost.
    const rows: [string, number][] = [];
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2024, 0, 13); t += HALF_HOUR) {
      const day = new Date(t).getUTCDay();
      if (day === 0 || day === 6) continue;
      if (t >= Date.UTC(2024, 0, 9, 10) && t < Date.UTC(2024, 0, 9, 11)) continue;
      rows.push(['US-Ha1', t]);
    }
    const text = tsv(rows);
    const weekdays = { weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] };
    const plain = await run('weekdays-plain', text, config({ min: 0.99 }));
    // Without a calendar the weekend (96 slots) counts missing: 478 of 576.
    expect(plain.report.datasetRules[0]).toMatchObject({ passed: false, ratio: 478 / 576 });
    const withCalendar = await run('weekdays-calendar', text, config({ min: 0.99, calendar: weekdays }));
    expect(withCalendar.report.datasetRules[0]).toMatchObject({
      passed: true,
      ratio: 478 / 480,
      detail: '478 of 480 expected 30m slots in the calendar (99.58%, min 99%); missing 2024-01-09T10:00:00.000Z … 2024-01-09T10:30:00.000Z (2 slots)',
    });
    // A holiday on the lost day's date takes that whole day out of what is expected.
    const holiday = await run('weekdays-holiday', text, config({ calendar: { ...weekdays, holidays: ['2024-01-09'] } }));
    expect(holiday.report.datasetRules[0]).toMatchObject({ passed: true, ratio: 1, detail: '432 of 432 expected 30m slots in the calendar (100.00%, min 100%)' });
  });
});
