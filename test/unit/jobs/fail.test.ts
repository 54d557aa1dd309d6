import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { InputError, TransientError } from '../../../shared/errors.js';
import { failStep } from '../../../shared/jobs/steps.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { withRetries } from '../../../shared/process/retry.js';
import { JobStatus, type ChunkRecord } from '../../../shared/state/models.js';
import type { JobSummary } from '../../../shared/report/summary.js';
import { FLUX_CONFIG } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function failedJob(jobId: string, chunks: Omit<ChunkRecord, 'jobId' | 'fingerprint' | 'attempts'>[], error: { Error: string; Cause: string }) {
  const state = new FileStateStore(join(dir, 'state'));
  const events: { type: string; detail: Record<string, unknown> }[] = [];
  const sent: JobSummary[] = [];
  const summaries = { reportLink: (k: string) => k, send: async (s: JobSummary) => void sent.push(s) };
  const deps = { config: parseConfig(FLUX_CONFIG), objects: new FsObjectStore(join(dir, 'bucket')), state, log, summaries, events: { publish: async (type: string, detail: Record<string, unknown>) => void events.push({ type, detail }) } };
  const now = '2026-01-01T00:00:00.000Z';
  await state.putJob({ jobId, pipeline: 'flux', input: { key: 'incoming/a.tsv', size: 1, etag: 'e' }, status: JobStatus.RUNNING, createdAt: now, updatedAt: now, chunks: 3, attempts: 1 });
  for (const c of chunks) await state.putChunk({ ...c, jobId, fingerprint: 'f', attempts: 1 });
  await failStep({ jobId, pipeline: 'flux', error }, deps);
  return { job: await state.getJob(jobId), events, sent };
}

const mapFailed = { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'The specified tolerated failure threshold was exceeded' };

describe('failStep', () => {
  it('records the latest failed chunk\'s own error when the Map hides it', async () => {
    const { job, events } = await failedJob('j1', [
      { index: 0, status: 'DONE', finishedAt: '2026-01-01T00:01:00.000Z' },
      { index: 1, status: 'FAILED', finishedAt: '2026-01-01T00:02:00.000Z', error: { name: 'Sluice.InputError', message: 'old failure' } },
      { index: 2, status: 'FAILED', finishedAt: '2026-01-01T00:03:00.000Z', error: { name: 'Sluice.TransientError', message: 's3://b/incoming/a.tsv: SlowDown (503)' } },
    ], mapFailed);
    expect(job).toMatchObject({ status: 'FAILED', error: { name: 'Sluice.TransientError', message: 'chunk 2: s3://b/incoming/a.tsv: SlowDown (503) (States.ExceedToleratedFailureThreshold)' } });
    expect(events[0]).toMatchObject({ type: 'JobFailed', detail: { error: 'Sluice.TransientError' } });
  });

  it('counts chunks that stopped without a word as a transient failure', async () => {
    const { job } = await failedJob('j2', [{ index: 0, status: 'DONE', finishedAt: '2026-01-01T00:01:00.000Z' }], mapFailed);
    expect(job!.error!.name).toBe('Sluice.TransientError');
    expect(job!.error!.message).toMatch(/^2 of 3 chunk\(s\) did not finish \(first: chunk 1\) and none left an error/);
  });

  it('blames the reduce Map when every chunk finished, as a transient failure the sweep reruns', async () => {
    const done = [0, 1, 2].map((index) => ({ index, status: 'DONE' as const, finishedAt: '2026-01-01T00:01:00.000Z' }));
    const { job } = await failedJob('j4', done, mapFailed);
    expect(job!.error).toEqual({ name: 'Sluice.TransientError', message: "every chunk finished, then the unique-key reduce failed: The specified tolerated failure threshold was exceeded (States.ExceedToleratedFailureThreshold; see the Reduce λ's log)" });
  });

  it('keeps our own errors as they came, without reading the chunks', async () => {
    const { job } = await failedJob('j3', [{ index: 0, status: 'FAILED', finishedAt: '2026-01-01T00:01:00.000Z', error: { name: 'Sluice.TransientError', message: 'stale' } }], { Error: 'Sluice.InputError', Cause: JSON.stringify({ errorMessage: 'incoming/a.tsv:1: file is empty: expected a header line' }) });
    expect(job!.error).toEqual({ name: 'Sluice.InputError', message: 'incoming/a.tsv:1: file is empty: expected a header line' });
    // The e-mail of a job that failed before its report.
    const { sent } = await failedJob('j5', [], { Error: 'Sluice.InputError', Cause: 'no header' });
    expect(sent).toEqual([{ subject: 'Sluice FAILED: flux a.tsv', text: 'flux job j5: FAILED before its report\ninput: incoming/a.tsv\n\nSluice.InputError: no header\n' }]);
  });
});

describe('withRetries', () => {
  const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, jitter: 'full' as const };

  it('retries transient errors until it succeeds', async () => {
    let calls = 0;
    const retries: number[] = [];
    const value = await withRetries(policy, async () => (++calls < 3 ? Promise.reject(new TransientError('reset')) : 'ok'), (attempt) => retries.push(attempt));
    expect([value, calls, retries]).toEqual(['ok', 3, [1, 2]]);
  });

  it('gives up after maxAttempts in all, and never retries a permanent error', async () => {
    let calls = 0;
    await expect(withRetries(policy, async () => (++calls, Promise.reject(new TransientError('still down'))), () => undefined)).rejects.toThrow('still down');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetries(policy, async () => (++calls, Promise.reject(new InputError('a.tsv', 2, 'bad'))), () => undefined)).rejects.toThrow('a.tsv:2: bad');
    expect(calls).toBe(1);
  });
});
