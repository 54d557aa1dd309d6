import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { sweep } from '../../../shared/jobs/sweep.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { jobIdFor } from '../../../shared/plan/plan.js';
import { JobStatus } from '../../../shared/state/models.js';
import { FLUX_CONFIG } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The store, with one method's calls from outside it counted. */
function countCalls<T extends object>(store: T, method: keyof T, count: () => void): T {
  return new Proxy(store, {
    get(target, name) {
      const v = Reflect.get(target, name, target) as unknown;
      if (typeof v !== 'function') return v;
      return name === method ? (...args: unknown[]) => (count(), (v as (...a: unknown[]) => unknown).apply(target, args)) : (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

describe('sweep', () => {
  it('dispatches files without a job, redrives stuck and transiently failed jobs up to the limit, and leaves permanent failures', async () => {
    await mkdir(join(dir, 'bucket/incoming'), { recursive: true });
    for (const name of ['new', 'stuck', 'transient', 'permanent', 'exhausted']) await writeFile(join(dir, 'bucket/incoming', `${name}.tsv`), `SITE_ID\n${name}\n`);
    const objects = new FsObjectStore(join(dir, 'bucket'));
    const state = new FileStateStore(join(dir, 'state'));
    const started: { name: string; input: unknown }[] = [];
    const deps = { config: parseConfig(FLUX_CONFIG), objects, state, log, starter: { start: async (name: string, input: unknown) => (started.push({ name, input }), 'started' as const) } };

    // First sweep: every file is new, so each gets a job.
    const first = await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3 });
    expect(first.dispatched).toHaveLength(5);
    const ids = Object.fromEntries(started.map((s) => [(s.input as { key: string }).key.replace(/^incoming\/|\.tsv$/g, ''), s.name]));
    const set = async (name: string, patch: Record<string, unknown>) => {
      const job = (await state.getJob(ids[name]!))!;
      await state.putJob({ ...job, ...patch });
    };
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await set('new', { status: 'SUCCEEDED' });
    await set('stuck', { status: 'RUNNING', updatedAt: old });
    await set('transient', { status: 'FAILED', error: { name: 'Sluice.TransientError', message: 'S3 503' } });
    await set('permanent', { status: 'FAILED', error: { name: 'Sluice.InputError', message: 'bad header' } });
    await set('exhausted', { status: 'FAILED', attempts: 3, error: { name: 'Sluice.TransientError', message: 'S3 503' } });
    started.length = 0;

    const second = await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3 });
    expect(second.dispatched).toEqual([]);
    expect(second.redriven.sort()).toEqual([ids.stuck, ids.transient].sort());
    expect(second.gaveUp).toEqual([ids.exhausted]);
    expect(started.map((s) => s.name).sort()).toEqual([`${ids.stuck}-r2`, `${ids.transient}-r2`].sort());
    expect((await state.getJob(ids.transient!))!).toMatchObject({ status: 'RUNNING', attempts: 2 });
  });

  it('leaves a quiet job alone while Step Functions still runs its execution, and restarts it once that has ended', async () => {
    await mkdir(join(dir, 'bucket2/incoming'), { recursive: true });
    await writeFile(join(dir, 'bucket2/incoming/long.tsv'), 'SITE_ID\nlong\n');
    const objects = new FsObjectStore(join(dir, 'bucket2'));
    const state = new FileStateStore(join(dir, 'state2'));
    const started: string[] = [];
    const running = new Set<string>();
    const asked: string[] = [];
    const starter = {
      start: async (name: string) => (started.push(name), running.add(name), 'started' as const),
      isRunning: async (name: string) => (asked.push(name), running.has(name)),
    };
    const deps = { config: parseConfig(FLUX_CONFIG), objects, state, log, starter };
    const [jobId] = (await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3 })).dispatched;
    expect((await state.getJob(jobId!))!.execution).toBe(jobId);
    const quiet = async () => {
      const job = (await state.getJob(jobId!))!;
      await state.putJob({ ...job, status: 'RUNNING' as never, updatedAt: new Date(Date.now() - 3 * 3_600_000).toISOString() });
    };
    await quiet();
    // A Fargate chunk may run for hours with no chunk finishing: its execution is still RUNNING.
    const whileRunning = await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3 });
    expect(whileRunning).toMatchObject({ redriven: [], stillRunning: [jobId] });
    expect(asked).toEqual([jobId]);
    expect(started).toEqual([jobId]);

    running.clear();
    const afterItEnded = await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3 });
    expect(afterItEnded).toMatchObject({ redriven: [jobId], stillRunning: [] });
    expect(started).toEqual([jobId, `${jobId}-r2`]);
    expect((await state.getJob(jobId!))!).toMatchObject({ attempts: 2, execution: `${jobId}-r2` });
    // The next check asks about the latest attempt.
    await quiet();
    await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3 });
    expect(asked.at(-1)).toBe(`${jobId}-r2`);
  });

  it('looks up only recent files and finds the jobs to restart in the status index, so its requests do not grow with the files kept', async () => {
    const root = join(dir, 'bucket3/incoming');
    await mkdir(root, { recursive: true });
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    for (let i = 0; i < 300; i++) {
      const f = join(root, `old-${String(i).padStart(3, '0')}.tsv`);
      await writeFile(f, `SITE_ID\nold${i}\n`);
      await utimes(f, threeDaysAgo, threeDaysAgo);
    }
    await writeFile(join(root, 'recent.tsv'), 'SITE_ID\nrecent\n');
    // What the sweep itself asks for, one by one (a local listing reads each file; an S3 one does not).
    const calls = { head: 0, getJob: 0 };
    const objects = countCalls(new FsObjectStore(join(dir, 'bucket3')), 'head', () => calls.head++);
    const state = countCalls(new FileStateStore(join(dir, 'state3')), 'getJob', () => calls.getJob++);
    const started: string[] = [];
    const deps = { config: parseConfig(FLUX_CONFIG), objects, state, log, starter: { start: async (name: string) => (started.push(name), 'started' as const) } };
    const periodic = { stuckAfterMs: 60_000, maxAttempts: 3, lookbackMs: 48 * 3_600_000 };

    // A job stuck for an hour on a file written three days ago: found by its status, not by a listing.
    const stuckKey = 'incoming/old-007.tsv';
    const stuckInfo = (await objects.head(stuckKey))!;
    const stuckId = jobIdFor(deps.config.pipelines[0]!, stuckInfo);
    await state.putJob({ jobId: stuckId, pipeline: 'flux', input: { key: stuckKey, size: stuckInfo.size, etag: stuckInfo.etag }, status: JobStatus.RUNNING, createdAt: threeDaysAgo.toISOString(), updatedAt: new Date(Date.now() - 3_600_000).toISOString(), chunks: 1, attempts: 1, execution: stuckId });
    calls.head = calls.getJob = 0;

    const r = await sweep(deps, periodic);
    expect(r).toMatchObject({ scanned: 301, checked: 1, redriven: [stuckId], gaveUp: [], stillRunning: [] });
    expect(r.dispatched).toHaveLength(1);
    expect(started).toEqual([`${stuckId}-r2`, r.dispatched[0]]);
    // The stuck job read again before it is restarted; for the recent file one HEAD to key its job
    // and one read to find none, then dispatch's own HEAD.
    expect(calls).toEqual({ head: 2, getJob: 2 });

    // A scheduled run over the prefix looks at every file, old ones included.
    const scheduled = await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3, pipeline: 'flux' });
    expect(scheduled.checked).toBe(301);
    expect(scheduled.dispatched).toHaveLength(299);
    expect(scheduled.redriven).toEqual([]);
  });

  it('restarts nothing on a stale index entry: a job that finished since the index showed it stuck is left alone', async () => {
    const state = new FileStateStore(join(dir, 'state4'));
    const now = Date.now();
    const job = { jobId: 'flux-stale', pipeline: 'flux', input: { key: 'incoming/gone.tsv', size: 1, etag: 'e' }, status: JobStatus.RUNNING, createdAt: new Date(now - 7_200_000).toISOString(), updatedAt: new Date(now - 3_600_000).toISOString(), chunks: 1, attempts: 1, execution: 'flux-stale' };
    await state.putJob({ ...job, status: JobStatus.SUCCEEDED, updatedAt: new Date(now).toISOString() });
    // The index still has the RUNNING copy, as an eventually consistent GSI may.
    const stale = Object.assign(Object.create(state) as FileStateStore, { jobsWithStatus: async function* (status: string) { if (status === 'RUNNING') yield job; } });
    const started: string[] = [];
    const deps = { config: parseConfig(FLUX_CONFIG), objects: new FsObjectStore(join(dir, 'bucket4')), state: stale, log, starter: { start: async (name: string) => (started.push(name), 'started' as const), isRunning: async () => false } };
    const r = await sweep(deps, { stuckAfterMs: 60_000, maxAttempts: 3 });
    expect(r.redriven).toEqual([]);
    expect(started).toEqual([]);
    expect((await state.getJob('flux-stale'))!.status).toBe('SUCCEEDED');
  });
});
