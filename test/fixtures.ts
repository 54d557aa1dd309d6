import type { JobReport } from '../shared/report/job-report.js';
import { emptyStats } from '../shared/report/stats.js';
import { writeFile } from 'node:fs/promises';

export const FLUX_HEADER = ['SITE_ID', 'TIMESTAMP_START', 'TIMESTAMP_END', 'NEE', 'TA', 'NEE_QC'];

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 12);

/**
 * A small flux-like TSV: half-hourly rows with a known set of defects every `every` rows:
 * an out-of-range TA, a non-numeric NEE, a ragged row and a QC flag of 7.
 */
export function fluxTsv(rows: number, every = 97): { text: string; bad: number } {
  const lines = [FLUX_HEADER.join('\t')];
  let bad = 0;
  const start = Date.UTC(2019, 0, 1);
  for (let i = 0; i < rows; i++) {
    const t = start + i * 1_800_000;
    const cells = ['US-Ha1', stamp(t), stamp(t + 1_800_000), (Math.sin(i) * 10).toFixed(3), (10 + Math.cos(i / 48) * 8).toFixed(2), String(i % 4)];
    if (i % every === 13 % every) {
      bad++;
      const kind = Math.floor(i / every) % 4;
      if (kind === 0) cells[4] = '999';
      else if (kind === 1) cells[3] = 'n/a#';
      else if (kind === 2) cells.splice(3);
      else cells[5] = '7';
    } else if (i % 31 === 5) cells[3] = '-9999';
    lines.push(cells.join('\t'));
  }
  return { text: `${lines.join('\n')}\n`, bad };
}

export const FLUX_CONFIG = {
  pipelines: [
    {
      name: 'flux',
      format: { type: 'tsv', nullValues: ['', 'NA', '-9999'] },
      chunking: { targetSize: '16KB' },
      schema: {
        columns: {
          SITE_ID: { type: 'string', required: true },
          TIMESTAMP_START: { type: 'timestamp', format: 'YYYYMMDDHHmm', required: true },
          TIMESTAMP_END: { type: 'timestamp', format: 'YYYYMMDDHHmm', required: true },
          NEE: { type: 'number', min: -100, max: 100 },
          TA: { type: 'number', min: -60, max: 60 },
          NEE_QC: { type: 'integer', min: 0, max: 3 },
        },
      },
      rules: {
        row: [{ name: 'end_after_start', expr: 'TIMESTAMP_END > TIMESTAMP_START' }],
        dataset: [
          { type: 'unique', columns: ['SITE_ID', 'TIMESTAMP_START'] },
          { type: 'completeness', column: 'TIMESTAMP_START', interval: '30m', min: 0.9 },
        ],
      },
      qualityGate: { maxRejectRatio: 0.05 },
    },
  ],
};

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, JSON.stringify(value, null, 2));
}

/** A small finished job's report, for tests of what is made from one (HTML, summaries). */
export function reportOf(overrides: Partial<JobReport> = {}, stats: Partial<JobReport['stats']> = {}): JobReport {
  return {
    jobId: 'job-1',
    pipeline: 'flux',
    input: { key: 'in/a.tsv', size: 5_242_880, etag: 'e' },
    status: 'SUCCEEDED',
    startedAt: '2024-01-05T10:00:00.000Z',
    finishedAt: '2024-01-05T10:01:00.000Z',
    plan: { chunks: 3, method: 'byte-range' },
    accounting: { rowsIn: 1234, rowsOut: 1100, rowsRejected: 120, rowsFiltered: 14, balanced: true },
    rejectRatio: 120 / 1234,
    qualityGate: { maxRejectRatio: 0.05, requireOutput: true, passed: false },
    datasetRules: [],
    columns: [],
    stats: { ...emptyStats(), ...stats },
    outputs: { results: 1, rejects: 0, successKey: undefined },
    ...overrides,
  };
}
