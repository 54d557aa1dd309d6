// The StateStore contract, run against both implementations: JSON files, and DynamoDB (dynalite over HTTP).
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore, STATUS_INDEX } from '../../../shared/aws/dynamo-state-store.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { emptyStats } from '../../../shared/report/stats.js';
import { JobStatus, type ChunkRecord, type HistoryEntry, type JobRecord, type StateStore } from '../../../shared/state/models.js';

let dir: string;
let dynalite: Server;
const stores: Record<string, StateStore> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-state-'));
  const start = (await import('dynalite')).default as (o: Record<string, unknown>) => Server;
  dynalite = start({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynalite.listen(0, '127.0.0.1', resolve));
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(dynalite.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(
    new CreateTableCommand({
      TableName: 'jobs',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'status', 'updatedAt'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      // As the stack's table (infra/constructs/storage.ts) has it.
      GlobalSecondaryIndexes: [{ IndexName: STATUS_INDEX, KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'updatedAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { TableName: 'jobs' });
  stores.files = new FileStateStore(join(dir, 'state'));
  stores.dynamodb = new DynamoStateStore(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), 'jobs', new FsObjectStore(join(dir, 'objects')));
}, 30_000);
afterAll(async () => {
  dynalite?.close();
  await rm(dir, { recursive: true, force: true });
});

const job = (jobId: string, status: JobRecord['status']): JobRecord => ({
  jobId,
  pipeline: 'p',
  input: { key: 'incoming/a.csv', size: 1, etag: 'e' },
  status,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  chunks: 1,
  attempts: 1,
});
const chunk = (jobId: string, status: ChunkRecord['status'], fingerprint = 'f1'): ChunkRecord => ({
  jobId,
  index: 0,
  status,
  fingerprint,
  attempts: 1,
  finishedAt: '2026-01-01T00:00:00.000Z',
  ...(status === 'FAILED' ? { error: { name: 'TransientError', message: 'late duplicate failed' } } : {}),
});

describe.each(['files', 'dynamodb'])('%s state store', (name) => {
  it('finds the jobs of one status, updated before a time, and never a chunk of that status', async () => {
    const s = stores[name]!;
    const at = (jobId: string, status: JobRecord['status'], updatedAt: string) => s.putJob({ ...job(`${name}-q-${jobId}`, status), updatedAt });
    await at('old-run', 'RUNNING', '2026-03-01T00:00:00.000Z');
    await at('new-run', 'RUNNING', '2026-03-02T00:00:00.000Z');
    await at('old-failed', 'FAILED', '2026-03-01T00:00:00.000Z');
    await at('done', 'SUCCEEDED', '2026-03-01T00:00:00.000Z');
    await s.putChunk({ ...chunk(`${name}-q-done`, 'FAILED'), finishedAt: '2026-03-01T00:00:00.000Z' });
    const ids = async (status: JobRecord['status'], updatedBefore?: string) => {
      const out: string[] = [];
      for await (const j of s.jobsWithStatus(status, updatedBefore ? { updatedBefore } : {})) if (j.jobId.startsWith(`${name}-q-`)) out.push(j.jobId.slice(name.length + 3));
      return out.sort();
    };
    expect(await ids('RUNNING')).toEqual(['new-run', 'old-run']);
    expect(await ids('RUNNING', '2026-03-01T12:00:00.000Z')).toEqual(['old-run']);
    expect(await ids('RUNNING', '2026-03-01T00:00:00.000Z')).toEqual([]);
    expect(await ids('FAILED')).toEqual(['old-failed']);
    // A job moves between statuses: the index follows it.
    await at('old-run', 'SUCCEEDED', '2026-03-03T00:00:00.000Z');
    expect(await ids('RUNNING')).toEqual(['new-run']);
    expect(await ids('SUCCEEDED')).toEqual(['done', 'old-run']);
  });

  it('keeps a finished chunk when a duplicate run of it fails later', async () => {
    const s = stores[name]!;
    await s.putChunk(chunk(`${name}-1`, 'DONE'));
    await s.putChunk(chunk(`${name}-1`, 'FAILED'));
    expect(await s.getChunk(`${name}-1`, 0)).toMatchObject({ status: 'DONE', fingerprint: 'f1' });
  });

  it('records a failure over a finished chunk of another input version or config', async () => {
    const s = stores[name]!;
    await s.putChunk(chunk(`${name}-2`, 'DONE', 'old'));
    await s.putChunk(chunk(`${name}-2`, 'FAILED', 'new'));
    expect(await s.getChunk(`${name}-2`, 0)).toMatchObject({ status: 'FAILED', fingerprint: 'new', error: { name: 'TransientError' } });
  });

  it('lists chunk records without their results when asked, and reads each result on its own', async () => {
    const s = stores[name]!;
    const result = { index: 0, fingerprint: 'f1', stats: { ...emptyStats(), rowsIn: 7 }, parts: [], rejects: undefined, keyRuns: {} };
    await s.putChunk({ ...chunk(`${name}-3`, 'DONE'), result });
    const [listed] = await s.listChunks(`${name}-3`, { results: false });
    expect(listed).toMatchObject({ index: 0, status: 'DONE', fingerprint: 'f1' });
    expect(listed!.result).toBeUndefined();
    expect((await s.listChunks(`${name}-3`))[0]!.result!.stats.rowsIn).toBe(7);
    expect((await s.getChunk(`${name}-3`, 0))!.result!.stats.rowsIn).toBe(7);
  });

  it('refreshes updatedAt of a running job only', async () => {
    const s = stores[name]!;
    await s.putJob(job(`${name}-run`, JobStatus.RUNNING));
    await s.putJob(job(`${name}-done`, JobStatus.SUCCEEDED));
    await s.touchJob(`${name}-run`, '2026-05-05T05:05:05.000Z');
    await s.touchJob(`${name}-done`, '2026-05-05T05:05:05.000Z');
    await s.touchJob(`${name}-missing`, '2026-05-05T05:05:05.000Z');
    expect((await s.getJob(`${name}-run`))?.updatedAt).toBe('2026-05-05T05:05:05.000Z');
    expect((await s.getJob(`${name}-done`))?.updatedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(await s.getJob(`${name}-missing`)).toBeUndefined();
  });

  it('keeps a pipeline\'s history oldest first, one entry a job (the latest), apart from jobs and from other pipelines', async () => {
    const s = stores[name]!;
    const pipeline = `hist-${name}`;
    const entry = (jobId: string, createdAt: string, rowsOut: number): HistoryEntry => ({
      jobId,
      pipeline,
      status: 'SUCCEEDED',
      createdAt,
      finishedAt: createdAt,
      input: { key: 'incoming/a.csv', size: 10 },
      durationMs: 5,
      rowsIn: 10,
      rowsOut,
      rowsRejected: 10 - rowsOut,
      rowsFiltered: 0,
      rejectRatio: (10 - rowsOut) / 10,
      columns: [{ name: '__proto__', nullRatio: 0.5, distinct: 3, min: '1', max: '9' }, { name: 'constructor', nullRatio: 0, distinct: 1, min: null, max: null }],
    });
    await s.appendHistory(entry('j-b', '2026-02-01T00:00:00.000Z', 8));
    await s.appendHistory(entry('j-a', '2026-01-01T00:00:00.000Z', 9));
    await s.appendHistory(entry('j-c', '2026-03-01T00:00:00.000Z', 7));
    // Finalized again: the same job, new figures.
    await s.appendHistory(entry('j-b', '2026-02-01T00:00:00.000Z', 6));
    await s.appendHistory({ ...entry('j-x', '2026-01-15T00:00:00.000Z', 1), pipeline: `${pipeline}-other` });
    const all = await s.history(pipeline);
    expect(all.map((e) => [e.jobId, e.rowsOut])).toEqual([['j-a', 9], ['j-b', 6], ['j-c', 7]]);
    expect(all[0]!.columns[0]).toEqual({ name: '__proto__', nullRatio: 0.5, distinct: 3, min: '1', max: '9' });
    expect((await s.history(pipeline, { last: 2 })).map((e) => e.jobId)).toEqual(['j-b', 'j-c']);
    expect(await s.history('no-such-pipeline')).toEqual([]);
    // The sweep's query of the status index never meets a history entry.
    const succeeded: string[] = [];
    for await (const j of s.jobsWithStatus(JobStatus.SUCCEEDED)) succeeded.push(j.jobId);
    expect(succeeded.filter((id) => id.startsWith('j-'))).toEqual([]);
  });
});
