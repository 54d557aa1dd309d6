import { describe, expect, it } from 'vitest';
import { reportOf } from '../../fixtures.js';
import { escapeHtml, renderReportHtml } from '../../../shared/report/html.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { emptyStats } from '../../../shared/report/stats.js';

const EVIL = '<img src=x onerror=alert(1)>';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const day0 = Math.floor(Date.UTC(2024, 0, 1) / DAY);

function sampleReport(overrides: Partial<JobReport> = {}): JobReport {
  return reportOf({
    jobId: 'job-123',
    input: { key: 'in/flux-2024.tsv', size: 5_242_880, etag: 'abc' },
    status: 'FAILED',
    failure: 'reject ratio above gate',
    datasetRules: [
      { name: 'unique_station_time', type: 'unique', severity: 'error', passed: true, detail: '0 duplicates' },
      { name: 'hourly_complete', type: 'completeness', severity: 'warn', passed: false, detail: '90% present', ratio: 0.9 },
    ],
    columns: [
      { name: 'flux', type: 'number', count: 1100, nulls: 3, min: '-2.5', max: '17.1', distinct: 900 },
      { name: EVIL, type: 'string', count: 1100, nulls: 0, min: null, max: null, distinct: 1 },
    ],
    stats: {
      ...emptyStats(),
      chunks: 3,
      rules: {
        flux_range: { count: 100, samples: [{ line: 42, column: 'flux', value: EVIL, message: 'out of range' }] },
        station_required: { count: 20, samples: [{ line: 7, message: 'missing station' }] },
      },
      warnings: { trailing_whitespace: 5 },
      rowsPerChunk: { '10': 300, '2': 500, '0': 434 },
      coverage: [
        // Hourly slots: ten on the first day, five three days later.
        { rule: 1, column: 'time', groupBy: [], intervalMs: HOUR, ranges: { '[]': [day0 * 24, day0 * 24 + 10, (day0 + 3) * 24, (day0 + 3) * 24 + 5] }, counted: {} },
      ],
    },
    outputs: { results: 2, rejects: 1, successKey: undefined },
    ...overrides,
  });
}

describe('renderReportHtml', () => {
  const html = renderReportHtml(sampleReport());

  it('shows the accounting identity with its numbers and balance', () => {
    expect(html).toContain('rowsIn = rowsOut + rowsRejected + rowsFiltered');
    expect(html).toContain('1,234 = 1,100 + 120 + 14');
    expect(html).toContain('balanced');
    expect(renderReportHtml(sampleReport({ accounting: { rowsIn: 10, rowsOut: 1, rowsRejected: 1, rowsFiltered: 1, balanced: false } }))).toContain(
      'does not balance',
    );
  });

  it('shows the status, failure, gate and plan', () => {
    expect(html).toContain('FAILED');
    expect(html).toContain('reject ratio above gate');
    expect(html).toContain('9.72%');
    expect(html).toContain('gate failed');
    expect(html).toContain('byte-range');
  });

  it('draws an svg for each chart', () => {
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('Rejects by rule');
    expect(html).toContain('Rows per chunk');
    expect(html).toContain('Time coverage of time');
  });

  it('names every rule, dataset rule and column', () => {
    for (const name of ['flux_range', 'station_required', 'unique_station_time', 'hourly_complete', 'trailing_whitespace']) {
      expect(html).toContain(name);
    }
    expect(html).toContain('missing station');
  });

  it('orders chunks numerically', () => {
    expect(html.indexOf('chunk 0:')).toBeLessThan(html.indexOf('chunk 2:'));
    expect(html.indexOf('chunk 2:')).toBeLessThan(html.indexOf('chunk 10:'));
  });

  it('labels coverage ends with dates and leaves missing days as gaps', () => {
    expect(html).toContain('>2024-01-01<');
    expect(html).toContain('>2024-01-04<');
    const svg = html.slice(html.indexOf('Time coverage of time'));
    expect(svg.match(/<rect /g)).toHaveLength(2);
  });

  it('counts present slots per day, splitting a run that crosses midnight', () => {
    const coverage = [{ rule: 0, column: 'time', groupBy: ['site'], intervalMs: HOUR, ranges: { '["a"]': [day0 * 24 + 20, day0 * 24 + 30], '["b"]': [day0 * 24, day0 * 24 + 2] }, counted: {} }];
    const page = renderReportHtml(sampleReport({ stats: { ...emptyStats(), coverage } }));
    expect(page).toContain('Time coverage of time (1h, 2 groups by site)');
    expect(page).toContain('2024-01-01: 6 slots present');
    expect(page).toContain('2024-01-02: 6 slots present');
  });

  it('lists each group of a completeness rule with its first missing runs', () => {
    const gap = { from: '2019-01-03T10:00:00.000Z', to: '2019-01-03T12:30:00.000Z', slots: 6 };
    const page = renderReportHtml(
      sampleReport({
        datasetRules: [
          {
            name: 'halfhourly',
            type: 'completeness',
            severity: 'error',
            passed: false,
            ratio: 90 / 96,
            detail: '90 of 96',
            groups: [
              { group: 'US-Ha1', values: ['US-Ha1'], present: 42, expected: 48, ratio: 0.875, exact: true, gapCount: 12, gaps: Array.from({ length: 10 }, () => gap) },
              { group: 'DE-Tha', values: ['DE-Tha'], present: 48, expected: 48, ratio: 1, exact: true, gapCount: 0, gaps: [] },
            ],
          },
        ],
      }),
    );
    expect(page).toContain('<h3>Completeness of halfhourly</h3>');
    expect(page).toContain('<td>US-Ha1</td><td>42</td><td>48</td><td>87.50%</td>');
    expect(page.match(/<li>US-Ha1: 2019-01-03T10:00:00.000Z … 2019-01-03T12:30:00.000Z \(6 slots\)<\/li>/g)).toHaveLength(10);
    expect(page).toContain('<li>US-Ha1: 2 more missing run(s)</li>');
    expect(page).not.toContain('<li>DE-Tha');
  });

  it('is self-contained', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link|<img|@import|url\(/i);
  });

  it('escapes user-supplied strings', () => {
    expect(html).not.toContain(EVIL);
    expect(html).toContain(escapeHtml(EVIL));
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const evilKey = renderReportHtml(sampleReport({ input: { key: `${EVIL}.tsv`, size: 1, etag: 'e' }, failure: EVIL }));
    expect(evilKey).not.toContain(EVIL);
  });

  it('shows a no-data note instead of an empty chart', () => {
    const empty = renderReportHtml(sampleReport({ stats: { ...emptyStats() } }));
    expect(empty).not.toContain('<svg');
    // Rejects by rule, rows per chunk, resources (a report of older chunks has none), time coverage.
    expect(empty.match(/No data/g)).toHaveLength(4);
  });

  it('shows what the job cost, and each chunk\'s wall time with its CPU, memory and bottleneck in the tip', () => {
    const chunk = (index: number, bottleneck: 'cpu' | 'waiting') => ({ index, wallMs: 2_000 + index, cpuUserMs: 1_500, cpuSystemMs: 100, cpuWaitMs: 300, peakRssBytes: 150e6, bytesRead: 64e6, bytesWritten: 190e6, retries: index, bottleneck });
    const html = renderReportHtml(
      sampleReport({
        stats: { ...emptyStats() },
        resources: { rule: 'the rule <as stated>', job: { wallMs: 5_000, cpuUserMs: 3_000, cpuSystemMs: 200, cpuWaitMs: 600, peakRssBytes: 150e6, bytesRead: 128e6, bytesWritten: 380e6, retries: 1, bottleneck: 'io' }, chunks: [chunk(1, 'waiting'), chunk(0, 'cpu')], external: [] },
      }),
    );
    expect(html).toContain('<h2>Resources</h2>');
    expect(html).toContain('<td>3.00 s user + 0.20 s system</td>');
    expect(html).toContain('<td>0.60 s</td>');
    expect(html).toContain('<td>1 cpu, 1 waiting</td>');
    expect(html).toContain('the rule &lt;as stated&gt;');
    expect(html).toContain('<title>chunk 0: 2.00 s wall, CPU 1.50 s user + 0.10 s system, 0.30 s waiting for a core, peak RSS');
    expect(html).toContain('1 retry, bottleneck waiting</title>');
    expect(html).not.toContain('Wall time per external run');
  });
});
