import { describe, expect, it } from 'vitest';
import { escapeHtml, renderReportHtml } from '../../../shared/report/html.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { emptyStats } from '../../../shared/report/stats.js';

const EVIL = '<img src=x onerror=alert(1)>';
const DAY = 86_400_000;
const day0 = Math.floor(Date.UTC(2024, 0, 1) / DAY);

function sampleReport(overrides: Partial<JobReport> = {}): JobReport {
  return {
    jobId: 'job-123',
    pipeline: 'flux',
    input: { key: 'in/flux-2024.tsv', size: 5_242_880, etag: 'abc' },
    status: 'FAILED',
    failure: 'reject ratio above gate',
    startedAt: '2024-01-05T10:00:00.000Z',
    finishedAt: '2024-01-05T10:01:00.000Z',
    plan: { chunks: 3, method: 'byte-range' },
    accounting: { rowsIn: 1234, rowsOut: 1100, rowsRejected: 120, rowsFiltered: 14, balanced: true },
    rejectRatio: 120 / 1234,
    qualityGate: { maxRejectRatio: 0.05, requireOutput: true, passed: false },
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
        { column: 'time', bucketMs: DAY, buckets: { [day0]: 600, [day0 + 3]: 500 }, min: day0 * DAY, max: (day0 + 3) * DAY + 1, count: 1100 },
      ],
    },
    outputs: { results: 2, rejects: 1, successKey: undefined },
    ...overrides,
  };
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
    expect(empty.match(/No data/g)).toHaveLength(3);
  });
});
