import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiApp } from '../../../shared/api/app.js';
import type { JobView, RejectLine } from '../../../shared/api/jobs.js';
import { parseConfig } from '../../../shared/config/load.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { runLocal } from '../../../shared/local/runner.js';
import { serveLocal } from '../../../shared/local/serve.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let out: string;
let jobId: string;
const config = parseConfig({
  pipelines: [{ name: 'readings', schema: { columns: { id: { type: 'integer', required: true }, v: { type: 'number', min: 0 } } }, rules: { row: [{ name: 'small', expr: 'v == null || v < 100.0' }] }, qualityGate: { maxRejectRatio: 0.5 } }],
});
// 20 rows: ids 3, 7, 11 are not numbers (type), v of 9 and 15 is negative (min), v of 12 is too big (small).
const ROWS = Array.from({ length: 20 }, (_, i) => `${[3, 7, 11].includes(i) ? `x${i}` : i},${i === 9 || i === 15 ? -1 : i === 12 ? 500 : i}`);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('sluice-api-'));
  out = join(dir, 'out');
  const file = join(dir, 'readings.csv');
  await writeFile(file, `id,v\n${ROWS.join('\n')}\n`);
  jobId = (await runLocal({ config, files: [file], out, workers: 1 }))[0]!.jobId;
});
afterAll(() => cleanup());

const deps = () => ({ state: new FileStateStore(join(out, 'state')), objects: new FsObjectStore(out), link: async (key: string) => `/files/${key}` });
const get = async (path: string, pages = false) => {
  const r = await apiApp(deps(), { pages }).request(path);
  return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? ((await r.json()) as Record<string, unknown>) : await r.text() };
};

describe('the JSON API', () => {
  it('lists jobs with their chunks and rows, and gives one with its report and links', async () => {
    const { body } = await get('/api/jobs');
    const [job] = (body as { jobs: JobView[] }).jobs;
    expect(job).toMatchObject({ jobId, pipeline: 'readings', status: 'SUCCEEDED', chunks: { done: 1, total: 1 }, rows: { in: 20, out: 14, rejected: 6, filtered: 0 } });
    const detail = (await get(`/api/jobs/${jobId}`)).body as { report: { accounting: Record<string, number> }; links: { report: string; rejects: string[] } };
    expect(detail.report.accounting).toMatchObject({ rowsIn: 20, rowsOut: 14, rowsRejected: 6 });
    expect(detail.links.report).toBe(`/files/reports/readings/${jobId}/report.html`);
    expect(detail.links.rejects).toHaveLength(1);
  });

  it('pages rejects in line order, filtered by rule, from a cursor', async () => {
    const lines = async (q: string) => {
      const b = (await get(`/api/jobs/${jobId}/rejects${q}`)).body as { rejects: RejectLine[]; next: string | null };
      return { lines: b.rejects.map((r) => r.line), next: b.next };
    };
    // Line 1 is the header: row i is line i + 2.
    expect(await lines('')).toEqual({ lines: [5, 9, 11, 13, 14, 17], next: null });
    expect(await lines('?rule=type')).toEqual({ lines: [5, 9, 13], next: null });
    expect(await lines('?rule=min')).toEqual({ lines: [11, 17], next: null });
    expect(await lines('?rule=small')).toEqual({ lines: [14], next: null });
    expect(await lines('?rule=nothing')).toEqual({ lines: [], next: null });
    const first = await lines('?rule=type&limit=2');
    expect(first.lines).toEqual([5, 9]);
    expect(await lines(`?rule=type&limit=2&cursor=${first.next}`)).toEqual({ lines: [13], next: null });
    const all: number[] = [];
    let next: string | null = '';
    while (next !== null) {
      const page = await lines(`?limit=1${next ? `&cursor=${next}` : ''}`);
      all.push(...page.lines);
      next = page.next;
    }
    expect(all).toEqual([5, 9, 11, 13, 14, 17]);
  });

  it('gives a pipeline history, and clear errors for what does not exist or is malformed', async () => {
    const h = (await get('/api/pipelines/readings/history')).body as { entries: { jobId: string; rowsOut: number }[] };
    expect(h.entries.map((e) => [e.jobId, e.rowsOut])).toEqual([[jobId, 14]]);
    expect(await get('/api/jobs/nope')).toEqual({ status: 404, body: { error: 'job nope not found' } });
    expect((await get('/api/jobs/__proto__')).status).toBe(404);
    expect((await get('/api/jobs/constructor/rejects')).status).toBe(404);
    expect((await get(`/api/jobs/${jobId}/rejects?limit=0`)).status).toBe(400);
    expect((await get(`/api/jobs/${jobId}/rejects?cursor=zzz`)).body).toEqual({ error: 'not a cursor this API gave' });
    expect((await get('/api/pipelines/readings/history?last=-1')).status).toBe(400);
    expect((await get('/api/pipelines/constructor/history')).body).toEqual({ pipeline: 'constructor', entries: [] });
  });

  it('refuses what is not a path, a cursor or a limit it knows, with 400 or 404 and never 500', async () => {
    expect((await get(`/files/reports%2F..%2Fstate%2F${jobId}%2Fjob.json`, true)).status).toBe(404);
    expect((await get('/files/reports/%E0%A4', true)).status).toBe(404);
    expect((await get('/files/reports/a%00b', true)).status).toBe(404);
    // A cursor of the right form that points inside a line.
    const inside = Buffer.from('0:3').toString('base64url');
    expect(await get(`/api/jobs/${jobId}/rejects?cursor=${inside}`)).toEqual({ status: 400, body: { error: 'not a cursor this API gave' } });
    expect((await get('/api/jobs?limit=0')).status).toBe(400);
    expect(((await get('/api/jobs?limit=1')).body as { jobs: unknown[] }).jobs).toHaveLength(1);
  });

  it('serves stored reports under the job prefixes only, and the pages only when asked', async () => {
    expect((await get(`/files/reports/readings/${jobId}/report.html`, true)).status).toBe(200);
    expect((await get(`/files/state/${jobId}/job.json`, true)).status).toBe(404);
    expect((await get('/files/reports/../state/x', true)).status).toBe(404);
    expect((await get(`/files/reports/readings/${jobId}/report.html`)).status).toBe(404);
    expect((await get('/')).status).toBe(404);
    const page = (await get(`/jobs/${jobId}?rule=min`, true)).body as string;
    expect(page).toContain('<td data-count="rowsRejected">6</td>');
    expect([...page.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => m[1])).toEqual(['11', '17']);
  });

  it('shows a job whose run died as STALE, with the chunks it had done', async () => {
    const state = new FileStateStore(join(out, 'state'));
    const job = (await state.getJob(jobId))!;
    await state.putJob({ ...job, status: 'RUNNING', chunks: 3 });
    const server = await serveLocal({ out, port: 0 });
    try {
      const r = (await (await fetch(`${server.url}api/jobs`)).json()) as { jobs: JobView[] };
      expect(r.jobs[0]).toMatchObject({ status: 'STALE (rerun to resume)', chunks: { done: 1, total: 3 }, rows: { in: 20, out: 14 } });
    } finally {
      await server.close();
      await state.putJob(job);
    }
  });
});

describe('sluice serve', () => {
  it('listens on 127.0.0.1 only unless a host is given', async () => {
    const server = await serveLocal({ out, port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(server.exposed).toBe(false);
      expect((await fetch(`${server.url}api/jobs`)).status).toBe(200);
      expect((await fetch(`http://localhost:${server.port}/api/jobs`)).status).toBe(200);
      // A page of another site whose name now resolves to 127.0.0.1 sends its own name as Host.
      const rebound = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/api/jobs', headers: { host: `evil.example:${server.port}` } }, (res) => (res.resume(), resolve(res.statusCode!)));
        req.once('error', reject);
        req.end();
      });
      expect(rebound).toBe(403);
      const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (external) {
        const refused = await new Promise<string>((resolve) => {
          const s = connect(server.port, external, () => (s.destroy(), resolve('connected')));
          s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        });
        expect(refused).toBe('ECONNREFUSED');
      }
    } finally {
      await server.close();
    }
    const open = await serveLocal({ out, port: 0, host: '0.0.0.0' });
    await open.close();
    expect(open.exposed).toBe(true);
  });
});
