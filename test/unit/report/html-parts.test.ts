import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../shared/report/html.js';
import type { CompletenessGroup, DatasetRuleResult } from '../../../shared/report/job-report.js';
import type { SlotCoverage } from '../../../shared/report/stats.js';
import { reportOf } from '../../fixtures.js';

const HOUR = 3_600_000;
const DAY0 = 19723; // 2024-01-01 in days since the epoch

const report = reportOf;

const coverage = (ranges: Record<string, number[]>, extra: Partial<SlotCoverage> = {}): SlotCoverage => ({ rule: 0, column: 'time', groupBy: [], intervalMs: HOUR, ranges, counted: {}, ...extra });
const group = (g: Partial<CompletenessGroup>): CompletenessGroup => ({ group: '', values: [], present: 1, expected: 1, ratio: 1, exact: true, gapCount: 0, gaps: [], ...g });
const completeness = (groups: CompletenessGroup[]): DatasetRuleResult => ({ name: 'hourly', type: 'completeness', severity: 'error', passed: true, detail: 'd', groups });

describe('report.html, piece by piece', () => {
  it('shows the job table with the input size in binary units', () => {
    expect(renderReportHtml(report())).toContain(
      '<table><thead><tr><th>Field</th><th>Value</th></tr></thead><tbody><tr><td>Job</td><td><code>job-1</code></td></tr>\n' +
        '<tr><td>Input</td><td><code>in/a.tsv</code></td></tr>\n<tr><td>Size</td><td>5.0 MiB (5,242,880 B)</td></tr>\n' +
        '<tr><td>Started</td><td>2024-01-05T10:00:00.000Z</td></tr>\n<tr><td>Finished</td><td>2024-01-05T10:01:00.000Z</td></tr></tbody></table>',
    );
    const size = (n: number) => /<tr><td>Size<\/td><td>([^<]*)<\/td><\/tr>/.exec(renderReportHtml(report({ input: { key: 'k', size: n, etag: 'e' } })))![1];
    expect([0, 1023, 1024, 1536, 1_048_575, 3 * 2 ** 30, 2 ** 40, 2 ** 50].map(size)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB (1,024 B)',
      '1.5 KiB (1,536 B)',
      '1024.0 KiB (1,048,575 B)',
      '3.0 GiB (3,221,225,472 B)',
      '1.0 TiB (1,099,511,627,776 B)',
      '1024.0 TiB (1,125,899,906,842,624 B)',
    ]);
  });

  it('shows the status badge, the failure and the gate', () => {
    const ok = renderReportHtml(report());
    expect(ok).toContain('<h1>flux <span class="badge ok">SUCCEEDED</span></h1>');
    expect(ok).not.toContain('class="failure"');
    expect(ok).toContain('<p><code>1,234 = 1,100 + 120 + 14</code>\n<span class="badge ok">balanced</span></p>');
    expect(ok).toContain('Quality gate: reject ratio 9.72% of at most 5.00%, and at least one row out when rows came in\n<span class="badge bad">gate failed</span></p>');
    const failed = renderReportHtml(report({ status: 'FAILED', failure: 'gate & more', qualityGate: { maxRejectRatio: 0.5, requireOutput: true, passed: true } }));
    expect(failed).toContain('<h1>flux <span class="badge bad">FAILED</span></h1>');
    expect(failed).toContain('<div class="failure">gate &amp; more</div>');
    expect(failed).toContain('<span class="badge ok">gate passed</span>');
  });

  it('lists dataset rules, rule failures with samples, warnings and columns as table rows', () => {
    const html = renderReportHtml(
      report(
        {
          datasetRules: [{ name: 'u', type: 'unique', severity: 'warn', passed: false, detail: '2 duplicate key(s) over id' }],
          columns: [
            { name: 'flux', type: 'number', count: 1100, nulls: 3, min: '-2.5', max: '17.1', distinct: 900 },
            { name: 'note', type: 'string', count: 5, nulls: 5, min: null, max: null, distinct: 0 },
          ],
        },
        {
          rules: {
            range: { count: 1000, samples: [{ line: 1234, column: 'flux', value: '99', message: 'too big' }, { line: 7, message: 'no column' }] },
            quiet: { count: 3, samples: [] },
          },
          warnings: { trailing: 5 },
        },
      ),
    );
    expect(html).toContain('<tr><td>u</td><td>unique</td><td>warn</td><td><span class="badge bad">failed</span></td><td>2 duplicate key(s) over id</td></tr>');
    expect(html).toContain('<tr><td>range</td><td>1,000</td><td><ul><li>line 1,234, column <code>flux</code>, value <code>99</code>: too big</li><li>line 7: no column</li></ul></td></tr>\n<tr><td>quiet</td><td>3</td><td></td></tr>');
    expect(html).toContain('<table><thead><tr><th>Warning</th><th>Count</th></tr></thead><tbody><tr><td>trailing</td><td>5</td></tr></tbody></table>');
    expect(html).toContain('<tr><td>flux</td><td>number</td><td>1,100</td><td>3</td><td>-2.5</td><td>17.1</td><td>900</td></tr>\n<tr><td>note</td><td>string</td><td>5</td><td>5</td><td>—</td><td>—</td><td>0</td></tr>');
    expect(html).toContain('<p>3 chunk(s), method <code>byte-range</code></p>');
    const empty = renderReportHtml(report());
    expect(empty.match(/<p class="nodata">None<\/p>/g)).toHaveLength(4);
  });

  it('draws rejects by rule as bars scaled to the largest count, longest first, long names cut', () => {
    const name = 'a_rule_name_of_thirty_chars_';
    const html = renderReportHtml(report({}, { rules: { small: { count: 20, samples: [] }, [name]: { count: 100, samples: [] }, none: { count: 0, samples: [] } } }));
    expect(html).toContain('<figure><figcaption>Rejects by rule</figcaption><svg width="640" height="74" viewBox="0 0 640 74" role="img"><title>Rejects by rule</title>');
    expect(html).toContain(
      `<g><title>${name}: 100</title><text x="174" y="18" text-anchor="end">a_rule_name_of_thirty_cha…</text><rect x="180" y="4" width="390.0" height="16" class="bar"/><text x="574.0" y="18">100</text></g>` +
        '<g><title>small: 20</title><text x="174" y="40" text-anchor="end">small</text><rect x="180" y="26" width="78.0" height="16" class="bar"/><text x="262.0" y="40">20</text></g>' +
        '<line x1="180" y1="50" x2="570" y2="50" class="axis"/><text x="375" y="68" text-anchor="middle">rejected rows</text></svg></figure>',
    );
    expect(html).not.toContain('<title>none: 0</title>');
    const exact = renderReportHtml(report({}, { rules: { abcdefghijklmnopqrstuvwxyz: { count: 1, samples: [] } } }));
    expect(exact).toContain('text-anchor="end">abcdefghijklmnopqrstuvwxyz</text>');
  });

  it('draws rows per chunk in chunk order, scaled to the largest', () => {
    const html = renderReportHtml(report({}, { rowsPerChunk: { '10': 300, '2': 500, '0': 434 } }));
    expect(html).toContain(
      '<rect x="64.00" y="31.91" width="187.00" height="144.09" class="bar"><title>chunk 0: 434 rows</title></rect>' +
        '<rect x="252.00" y="10.00" width="187.00" height="166.00" class="bar"><title>chunk 2: 500 rows</title></rect>' +
        '<rect x="440.00" y="76.40" width="187.00" height="99.60" class="bar"><title>chunk 10: 300 rows</title></rect>',
    );
    expect(html).toContain(
      '<line x1="64" y1="176" x2="628" y2="176" class="axis"/><line x1="64" y1="10" x2="64" y2="176" class="axis"/>' +
        '<text x="60" y="20" text-anchor="end">500</text><text x="60" y="176" text-anchor="end">0</text>' +
        '<text x="64" y="192">#0</text><text x="628" y="192" text-anchor="end">#10</text>' +
        '<text x="346" y="214" text-anchor="middle">chunk index</text><text transform="translate(14 93) rotate(-90)" text-anchor="middle">rows</text></svg>',
    );
    const many = renderReportHtml(report({}, { rowsPerChunk: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [String(i), 1])) }));
    expect(many).toContain('<rect x="64.00" y="10.00" width="2.82" height="166.00" class="bar"><title>chunk 0: 1 rows</title></rect><rect x="66.82" ');
    const one = renderReportHtml(report({}, { rowsPerChunk: { '0': 0 } }));
    expect(one).toContain('<rect x="64.00" y="176.00" width="563.00" height="0.00" class="bar"><title>chunk 0: 0 rows</title></rect>');
    expect(one).toContain('<text x="60" y="20" text-anchor="end">1</text>');
  });

  it('draws time coverage per UTC day, splitting runs at midnight and leaving missing days empty', () => {
    const start = DAY0 * 24;
    const html = renderReportHtml(report({}, { coverage: [coverage({ '["a"]': [start + 20, start + 28], '["b"]': [start + 72, start + 74] }, { groupBy: ['site'] })] }));
    expect(html).toContain('<figcaption>Time coverage of time (1h, 2 groups by site)</figcaption>');
    expect(html).toContain('<title>2024-01-01: 4 slots present</title>');
    expect(html).toContain('<title>2024-01-02: 4 slots present</title>');
    expect(html).toContain('<title>2024-01-04: 2 slots present</title>');
    expect(html).not.toContain('2024-01-03: ');
    expect(html).toContain('<text x="64" y="192">2024-01-01</text><text x="628" y="192" text-anchor="end">2024-01-04</text>');
    expect(html).toContain('>day (UTC)</text>');
    expect(html).toContain('>present slots per day</text>');
    const titles = (intervalMs: number, groupBy: string[] = [], counted = {}) =>
      /<h3>(Time coverage of [^<]*)<\/h3><p class="nodata">No data<\/p>/.exec(renderReportHtml(report({}, { coverage: [coverage({ '["a"]': [] }, { intervalMs, groupBy, counted })] })))![1];
    expect(titles(1_800_000)).toBe('Time coverage of time (30m)');
    expect([86_400_000, 7_200_000, 1000, 1500].map((ms) => titles(ms))).toEqual([
      'Time coverage of time (1d)',
      'Time coverage of time (2h)',
      'Time coverage of time (1s)',
      'Time coverage of time (1500ms)',
    ]);
    expect(titles(HOUR, ['site'], { '["z"]': [1, 0, 5] })).toBe('Time coverage of time (1h, 2 groups by site)');
    expect(titles(HOUR, ['site', 'kind'])).toBe('Time coverage of time (1h, 1 group by site, kind)');
  });

  it('lists the groups of a completeness rule and their first missing runs', () => {
    const gaps = [{ from: '2024-01-01T01:00:00.000Z', to: '2024-01-01T02:00:00.000Z', slots: 2 }];
    const grouped = renderReportHtml(
      report({
        datasetRules: [
          completeness([
            group({ group: 'b', present: 1500, expected: 2000, ratio: 0.75, gapCount: 3, gaps }),
            group({ group: 'c', present: 5, expected: 10, ratio: 0.5, exact: false, gapCount: 100_000 }),
            group({ group: 'a' }),
          ]),
        ],
      }),
    );
    expect(grouped).toContain(
      '<h3>Completeness of hourly</h3><table><thead><tr><th>Group</th><th>Present</th><th>Expected</th><th>Ratio</th></tr></thead><tbody>' +
        '<tr><td>b</td><td>1,500</td><td>2,000</td><td>75.00%</td></tr>\n<tr><td>c</td><td>5</td><td>10</td><td>50.00% (approximate)</td></tr>\n<tr><td>a</td><td>1</td><td>1</td><td>100.00%</td></tr></tbody></table>' +
        '<p>First missing slots (up to 10 per group; from the start of the first missing slot to the start of the last, inclusive):</p>' +
        '<ul><li>b: 2024-01-01T01:00:00.000Z … 2024-01-01T02:00:00.000Z (2 slots)</li><li>b: 2 more missing run(s)</li><li>c: not listed: over the range bound, counts are approximate</li></ul>',
    );
    const single = renderReportHtml(report({ datasetRules: [completeness([group({ gapCount: 1, gaps })])] }));
    expect(single).toContain('<h3>Completeness of hourly</h3><p>First missing slots');
    expect(single).toContain('<ul><li>2024-01-01T01:00:00.000Z … 2024-01-01T02:00:00.000Z (2 slots)</li></ul>');
    expect(renderReportHtml(report({ datasetRules: [completeness([group({})])] }))).toContain('<h3>Completeness of hourly</h3><p>No missing slots</p>');
    const many = renderReportHtml(report({ datasetRules: [completeness(Array.from({ length: 101 }, (_, i) => group({ group: `g${i}` })))] }));
    expect(many).toContain('<tr><td>g99</td>');
    expect(many).not.toContain('<tr><td>g100</td>');
    expect(many).toContain('</table><p>1 more group(s) in report.json</p>');
    expect(renderReportHtml(report({ datasetRules: [completeness(Array.from({ length: 100 }, (_, i) => group({ group: `g${i}` })))] }))).not.toContain('more group(s)');
  });
});
