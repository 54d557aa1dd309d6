// compute.command on this machine: the bundled site-year program on the worker pool, as in the Fargate task.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../shared/config/load.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { runLocal } from '../../../shared/local/runner.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const HEADER = ['SITE_ID', 'TIMESTAMP_START', 'TIMESTAMP_END', 'NEE', 'GPP', 'RECO', 'LE', 'H', 'TA', 'VPD', 'SW_IN', 'P', 'USTAR', 'NEE_QC'];
const row = (start: string, end: string, nee: string, ta: string) => ['US-Ha1', start, end, nee, 'NA', 'NA', 'NA', 'NA', ta, 'NA', 'NA', 'NA', 'NA', '0'].join('\t');
const SITE_YEAR = [HEADER.join('\t'), row('201901010000', '201901010030', '1.5', '10'), row('201901010030', '201901010100', '-2.5', '-5.5'), row('201901010100', '201901010130', 'NA', '20'), row('201901010130', '201901010200', '3', 'NA')].join('\n') + '\n';

describe('compute.command on the worker pool', () => {
  it('runs the bundled site-year program once per file on its validated rows and keeps what it writes under the job', async () => {
    const file = join(dir, 'US-Ha1_2019.tsv');
    await writeFile(file, SITE_YEAR);
    const config = await loadConfig('examples/site-year/pipeline.yaml');
    const out = join(dir, 'out');
    const [job] = await runLocal({ config, files: [file], out, workers: 1 });
    expect(job).toMatchObject({ status: 'SUCCEEDED' });
    const summary = JSON.parse(await readFile(join(job!.resultsDir, 'external/part-00000/summary.json'), 'utf8')) as Record<string, unknown>;
    // By hand: NEE 1.5, -2.5, 3 (one NA); TA 10, -5.5, 20 (one NA); NEE_gC = NEE × 0.02162.
    expect(summary).toMatchObject({ sites: ['US-Ha1'], years: [2019], rows: 4, first: '2019-01-01T00:00:00.000Z', last: '2019-01-01T01:30:00.000Z', taMin: -5.5, taMax: 20 });
    expect(summary.neeMean).toBeCloseTo(2 / 3, 12);
    expect(summary.neeTotalGc).toBeCloseTo(2 * 0.02162, 12);
    // What it cost, in the report: the chunk (its own thread) and the program (from /proc, on Linux).
    const resources = job!.report!.resources!;
    expect(resources.chunks).toEqual([expect.objectContaining({ index: 0, retries: 0, bytesRead: Buffer.byteLength(SITE_YEAR) - HEADER.join('\t').length - 1, bottleneck: expect.stringMatching(/^(cpu|io|memory|waiting)$/) })]);
    expect(resources.chunks[0]!.wallMs).toBeGreaterThan(0);
    expect(resources.external).toEqual([expect.objectContaining({ index: 0, retries: 0 })]);
    expect(resources.external[0]!.bytesWritten).toBeGreaterThanOrEqual((await readFile(join(job!.resultsDir, 'external/part-00000/summary.json'))).length);
    if (process.platform === 'linux') expect(resources.external[0]!.peakRssBytes).toBeGreaterThan(1e6);
    expect(resources.job.wallMs).toBeGreaterThanOrEqual(resources.chunks[0]!.wallMs);
    expect(resources.rule).toMatch(/^memory when peak RSS reached 90%/);
    const html = await readFile(job!.reportPath!, 'utf8');
    expect(html).toContain('<h2>Resources</h2>');
    expect(html).toContain('Wall time per external run');
  });

  it('retries an exit code it is told is transient, skips the program on a resume, and fails a job with the program\'s own words', async () => {
    const calls = join(dir, 'calls.txt');
    // Exits 75 on its first call, then writes how many times it ran; fails for good on a site named BAD.
    const program = `
const fs = require('node:fs'), path = require('node:path');
const n = (fs.existsSync(${JSON.stringify(calls)}) ? fs.readFileSync(${JSON.stringify(calls)}, 'utf8').length : 0) + 1;
fs.appendFileSync(${JSON.stringify(calls)}, 'x');
if (fs.readFileSync(process.env.SLUICE_INPUT, 'utf8').includes('"BAD"')) { console.error('site BAD has no coordinates'); process.exit(4); }
if (n === 1) { console.error('licence server busy'); process.exit(75); }
fs.writeFileSync(path.join(process.env.SLUICE_OUTPUT_DIR, 'calls.txt'), String(n));`;
    const pipeline = (name: string) => ({
      name,
      format: { type: 'csv' },
      chunking: { strategy: 'whole-file' },
      schema: { columns: { site: { type: 'string' } } },
      compute: { type: 'fargate', command: [process.execPath, '-e', program], retryExitCodes: [75] },
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const config = parseConfig({ pipelines: [pipeline('ok')] });
    const file = join(dir, 'sites.csv');
    await writeFile(file, 'site\nUS-Ha1\n');
    const out = join(dir, 'out-retry');
    const events: string[] = [];
    const [first] = await runLocal({ config, files: [file], out, workers: 1, onEvent: (e) => void (e.type === 'retry' && events.push(e.error.message)) });
    expect(first).toMatchObject({ status: 'SUCCEEDED' });
    expect(events).toEqual([expect.stringMatching(/exited with 75 on part-00000; stderr: licence server busy$/)]);
    expect(await readFile(join(first!.resultsDir, 'external/part-00000/calls.txt'), 'utf8')).toBe('2');
    expect((await new FileStateStore(join(out, 'state')).getChunk(first!.jobId, 0))).toMatchObject({ status: 'DONE', attempts: 2 });
    // The same run again: the chunk is done, its program ran before it counted as done, and is not run again.
    await runLocal({ config, files: [file], out, workers: 1 });
    expect(await readFile(calls, 'utf8')).toBe('xx');

    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'site\nBAD\n');
    const [failed] = await runLocal({ config: parseConfig({ pipelines: [pipeline('bad')] }), files: [bad], out: join(dir, 'out-bad'), workers: 1 });
    expect(failed).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/exited with 4 on part-00000; stderr: site BAD has no coordinates$/) });
  });

  it('kills the program before the runner stops the attempt, so a retry never runs beside a left-over copy', async () => {
    const pids = join(dir, 'pids.txt');
    const program = `require('node:fs').appendFileSync(${JSON.stringify(pids)}, process.pid + '\\n'); setTimeout(() => {}, 4000);`;
    const config = parseConfig({ pipelines: [{ name: 'slow', format: { type: 'csv' }, chunking: { strategy: 'whole-file' }, schema: { columns: { site: {} } }, compute: { type: 'fargate', timeoutSeconds: 2, command: [process.execPath, '-e', program] }, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }] });
    const file = join(dir, 'slow.csv');
    await writeFile(file, 'site\nUS-Ha1\n');
    const [job] = await runLocal({ config, files: [file], out: join(dir, 'out-slow'), workers: 1 });
    expect(job).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/was killed when the chunk's time ran out/) });
    const ran = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    expect(ran).toHaveLength(2);
    for (const pid of ran) {
      const state = await readFile(`/proc/${pid}/stat`, 'utf8').then((t) => t.slice(t.lastIndexOf(')') + 2, t.lastIndexOf(')') + 3), () => 'gone');
      expect(['gone', 'Z']).toContain(state);
    }
  });
});
