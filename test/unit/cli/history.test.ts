import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../shared/state/models.js';
import { FLUX_CONFIG, writeJson } from '../../fixtures.js';
import { SLUICE_BIN, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const sluice = (args: string[]) => spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
const HEADER = 'SITE_ID\tTIMESTAMP_START\tTIMESTAMP_END\tNEE\tTA\tNEE_QC';

describe('sluice history', () => {
  it('lists a pipeline\'s finished jobs oldest first, with their counts and each column\'s figures', async () => {
    await writeJson(join(dir, 'config.json'), FLUX_CONFIG);
    // By hand: 4 rows, one TA out of range, one NEE null; then 2 rows, both good.
    await writeFile(join(dir, 'a.tsv'), `${HEADER}\nUS-Ha1\t201901010000\t201901010030\t1.5\t10\t0\nUS-Ha1\t201901010030\t201901010100\tNA\t11\t1\nUS-Ha1\t201901010100\t201901010130\t2\t999\t0\nUS-Ha1\t201901010130\t201901010200\t3\t12\t2\n`);
    await writeFile(join(dir, 'b.tsv'), `${HEADER}\nUS-Ha1\t201902010000\t201902010030\t1\t5\t0\nUS-Ha1\t201902010030\t201902010100\t2\t6\t0\n`);
    expect(sluice(['history', 'flux', '--out', 'out']).stdout.trim()).toBe('no finished job of pipeline flux under out');
    // Two runs, one after the other; the first one's reject ratio (25%) fails its gate.
    expect(sluice(['run', 'config.json', 'a.tsv', '--out', 'out', '--workers', '1']).status).toBe(1);
    expect(sluice(['run', 'config.json', 'b.tsv', '--out', 'out', '--workers', '1']).status).toBe(0);
    const table = sluice(['history', 'flux', '--out', 'out']).stdout.trim().split('\n');
    expect(table[0]).toMatch(/^FINISHED +STATUS +IN +OUT +REJECTED +REJECT % +TIME +JOB +INPUT$/);
    expect(table.slice(1).map((l) => l.split(/ {2,}/).slice(1, 6))).toEqual([
      ['FAILED', '4', '3', '1', '25.00%'],
      ['SUCCEEDED', '2', '2', '0', '0.00%'],
    ]);
    const entries = sluice(['history', 'flux', '--out', 'out', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as HistoryEntry);
    expect(entries.map((e) => e.input.key.split('/').pop())).toEqual(['a.tsv', 'b.tsv']);
    expect(entries[0]!.columns.find((c) => c.name === 'NEE')).toEqual({ name: 'NEE', nullRatio: 1 / 3, distinct: 2, min: '1.5', max: '3' });
    expect(entries[0]!.columns.find((c) => c.name === 'TA')).toMatchObject({ min: '10', max: '12' });
    const last = sluice(['history', 'flux', '--out', 'out', '--last', '1', '--json']).stdout.trim().split('\n');
    expect(last.map((l) => (JSON.parse(l) as HistoryEntry).jobId)).toEqual([entries[1]!.jobId]);
  });

  it('fails a job whose rows out fall far below the pipeline\'s last runs, and draws the trend in its report', async () => {
    const [flux] = FLUX_CONFIG.pipelines;
    const dataset = [...flux!.rules.dataset, { type: 'anomaly', name: 'rows_like_before', metric: 'rowsOut', maxChange: 0.5, minRuns: 2 }];
    await writeJson(join(dir, 'anomaly.json'), { pipelines: [{ ...flux, rules: { ...flux!.rules, dataset } }] });
    const rows = (day: number, n: number) => Array.from({ length: n }, (_, i) => `US-Ha1\t201903${String(day).padStart(2, '0')}${String(Math.floor(i / 2)).padStart(2, '0')}${i % 2 ? '30' : '00'}\t201903${String(day).padStart(2, '0')}${String(Math.floor((i + 1) / 2)).padStart(2, '0')}${i % 2 ? '00' : '30'}\t1\t10\t0`).join('\n');
    for (const [file, day, n] of [['d1.tsv', 1, 10], ['d2.tsv', 2, 12], ['d3.tsv', 3, 4]] as const) await writeFile(join(dir, file), `${HEADER}\n${rows(day, n)}\n`);
    const first = sluice(['run', 'anomaly.json', 'd1.tsv', '--out', 'an', '--workers', '1']);
    expect(first.stdout).toContain('pass rows_like_before: rowsOut 10: not enough history to judge (0 of 2 runs)');
    expect(sluice(['run', 'anomaly.json', 'd2.tsv', '--out', 'an', '--workers', '1']).stdout).toContain('pass rows_like_before: rowsOut 12: not enough history to judge (1 of 2 runs)');
    const third = sluice(['run', 'anomaly.json', 'd3.tsv', '--out', 'an', '--workers', '1']);
    expect(third.status).toBe(1);
    expect(third.stdout).toContain('FAIL rows_like_before: rowsOut 4: -63.6% against the mean 11 of the last 2 run(s) (allowed ±50.0%)');
    const reportPath = /report: +(\S+)/.exec(third.stdout)![1]!;
    const html = await readFile(join(dir, reportPath), 'utf8');
    expect(html).toContain('rows_like_before: rowsOut over the last runs');
    expect(html).toContain('class="bar now"><title>this run: 4</title>');
  });
});
