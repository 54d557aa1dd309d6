import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { parseConfig } from '../../shared/config/load.js';
import { finalizeStep, planStep, reduceStep, scanStep, workStep } from '../../shared/jobs/steps.js';
import { FileStateStore } from '../../shared/local/file-state-store.js';
import { FsObjectStore } from '../../shared/local/fs-object-store.js';
import { jobIdFor, planChunks } from '../../shared/plan/plan.js';
import { syncBytes } from '../../shared/plan/windows.js';
import { JobStatus, type StateStore } from '../../shared/state/models.js';
import { tempDir } from '../helpers.js';

// The shape of a 1 TB file at 64 MB chunks, scaled down: 16,000+ chunks of a few rows each, run
// through the real plan, work and finalize steps over the S3 store (its SDK client answered from
// memory, so every S3 request the steps make is counted) and the file state store (every call
// counted; each is one DynamoDB request in the cloud, or a page of one for a listing).

const CHUNKS = Number(process.env.SCALE_CHUNKS ?? 16_000);
const ROWS_PER_CHUNK = 3;
const DUPLICATES = 7;
// Rows of 13 to 19 bytes, DUPLICATES ids twice (in chunks far apart); chunks of a few rows each.
const ROWS = CHUNKS * ROWS_PER_CHUNK;
const lines = ['id,site,v'];
// Every 997th row (from row 500) has a negative v: 48 rejects at 16,000 chunks, spread over the file.
const rejected = (i: number) => i % 997 === 500 && i < ROWS - DUPLICATES; // never one side of a planted duplicate
for (let i = 0; i < ROWS; i++) lines.push(`${i < DUPLICATES ? ROWS - 1 - i : i},S${i % 10},${rejected(i) ? -1 : (i % 1000) / 10}`);
const REJECTS = Array.from({ length: ROWS }, (_, i) => i).filter(rejected).length;
const FILE = Buffer.from(`${lines.join('\n')}\n`);
const config = parseConfig({
  pipelines: [
    {
      name: 'scale',
      format: { type: 'csv', maxLineBytes: 4096 },
      // Scanned for quote-safe boundaries in 16 windows, each its own Plan invocation, as a quoted 1 TB file is.
      chunking: { targetSize: Math.floor(FILE.length / CHUNKS), scanWindow: Math.ceil(FILE.length / 16) },
      schema: { columns: { id: { type: 'integer', required: true }, site: { type: 'string' }, v: { type: 'number', min: 0 } } },
      rules: { dataset: [{ type: 'unique', name: 'one_row_per_id', columns: ['id'] }] },
    },
  ],
});

type Stage = 'plan' | 'work' | 'reduce' | 'finalize';
const s3Requests: Record<Stage, Record<string, number>> = { plan: {}, work: {}, reduce: {}, finalize: {} };
const stateCalls: Record<Stage, Record<string, number>> = { plan: {}, work: {}, reduce: {}, finalize: {} };
let stage: Stage = 'plan';
/** Bytes of the input the GETs asked for (a ranged GET's whole range), for the plan's invocations. */
const inputRequested = { bytes: 0 };
const count = (table: Record<Stage, Record<string, number>>, what: string) => (table[stage][what] = (table[stage][what] ?? 0) + 1);
/** What an S3 key holds, for the counts: the input, a result part, staged or final rejects, key runs, a report, the plan. */
const kindOf = (key: string) =>
  key.startsWith('incoming/') ? 'input' : key.includes('/scan/') ? 'window scans' : key.endsWith('/plan-head.json') ? 'plan head' : key.includes('/reduce-') ? 'reduce results' : key.endsWith('/reduce.json') ? 'reduce items' : key.includes('/unique/') ? 'key runs' : key.includes('/_chunks/') ? 'staged rejects' : key.split('/')[0]!.replace(/s$/, '').replace('manifest', 'plan');

/** An S3 bucket in memory behind the real SDK client. */
function memoryBucket() {
  const objects = new Map<string, Buffer>();
  const s3 = mockClient(S3Client);
  // An object's ETag, computed once per body (a chunk's ranged GET must not hash the whole input).
  const etags = new WeakMap<Buffer, string>();
  const etag = (b: Buffer) => {
    let e = etags.get(b);
    if (!e) etags.set(b, (e = `"${createHash('md5').update(b).digest('hex')}"`));
    return e;
  };
  const bodyOf = async (body: unknown): Promise<Buffer> => {
    if (typeof body === 'string') return Buffer.from(body);
    if (body instanceof Uint8Array) return Buffer.from(body);
    const parts: Buffer[] = [];
    for await (const c of body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(c));
    return Buffer.concat(parts);
  };
  const missing = () => Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: unknown }) => {
    count(s3Requests, `PUT ${kindOf(input.Key)}`);
    const b = await bodyOf(input.Body);
    objects.set(input.Key, b);
    return { ETag: etag(b) };
  });
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    count(s3Requests, `GET ${kindOf(input.Key!)}`);
    const b = objects.get(input.Key!);
    if (!b) throw missing();
    const [, a, z] = /bytes=(\d+)-(\d+)/.exec(input.Range ?? '') ?? [];
    const body = a === undefined ? b : b.subarray(Number(a), Number(z) + 1);
    if (kindOf(input.Key!) === 'input') inputRequested.bytes += body.length;
    // The SDK's body: a stream with its transform helpers.
    const stream = Object.assign(Readable.from([body]), { transformToByteArray: async () => new Uint8Array(body), transformToString: async () => body.toString() });
    return { Body: stream as never, ETag: etag(b), ContentLength: body.length };
  });
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    count(s3Requests, `HEAD ${kindOf(input.Key)}`);
    const b = objects.get(input.Key);
    if (!b) throw Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    return { ContentLength: b.length, ETag: etag(b) };
  });
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; ContinuationToken?: string }) => {
    count(s3Requests, `LIST ${kindOf(input.Prefix ?? '')}`);
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const from = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(from, from + 1000);
    return { Contents: page.map((Key) => ({ Key, Size: objects.get(Key)!.length, ETag: etag(objects.get(Key)!) })), IsTruncated: from + 1000 < keys.length, NextContinuationToken: from + 1000 < keys.length ? String(from + 1000) : undefined };
  });
  s3.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
    count(s3Requests, `DELETE ${kindOf(input.Key)}`);
    objects.delete(input.Key);
    return {};
  });
  return { objects, s3 };
}

/** Counts every call of the state store by method. */
function counted(state: StateStore): StateStore {
  return new Proxy(state, {
    get(target, name, receiver) {
      const v = Reflect.get(target, name, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        count(stateCalls, String(name));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('sluice-scale-')));
afterAll(() => cleanup());

describe('a job of 16,000 chunks', () => {
  it('plans, works, reduces and finalizes with its dataset rule, and reports the requests per stage and finalize memory', { timeout: 900_000 }, async () => {
    const { objects, s3 } = memoryBucket();
    const rows = ROWS;
    const key = 'incoming/scale.csv';
    const file = FILE;
    objects.set(key, file);
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const state = counted(new FileStateStore(`${dir}/state`));
    const deps = { config, objects: new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), 'bucket'), state, log, events: { publish: async () => undefined } };
    const input = { key, size: file.length, etag: createHash('md5').update(file).digest('hex') };
    const jobId = jobIdFor(config.pipelines[0]!, input);
    const now = new Date().toISOString();
    await state.createJob({ jobId, pipeline: 'scale', input, status: JobStatus.PLANNED, createdAt: now, updatedAt: now, chunks: 0, attempts: 1 });

    stage = 'plan';
    let t = performance.now();
    // The Plan λ's three calls: windows, one scan per window (the scan Map), then the plan from the scans.
    const perInvocation: number[] = [];
    const invocation = async <T>(call: () => Promise<T>): Promise<T> => {
      inputRequested.bytes = 0;
      const r = await call();
      perInvocation.push(inputRequested.bytes);
      return r;
    };
    const scan = await invocation(() => planStep({ jobId, pipeline: 'scale', key }, deps));
    if (!('scanKey' in scan)) throw new Error('expected a scan in windows');
    const windows = JSON.parse(objects.get(scan.scanKey)!.toString()) as { jobId: string; pipeline: string; window: number }[];
    expect(windows.length).toBe(scan.windows);
    expect(windows.length).toBeGreaterThanOrEqual(16);
    for (const w of windows) await invocation(() => scanStep(w, deps));
    const planned = await invocation(() => planStep({ jobId, pipeline: 'scale', key, scanned: true }, deps));
    if (!('chunks' in planned)) throw new Error('expected the plan');
    const planMs = performance.now() - t;
    expect(planned.chunks).toBeGreaterThanOrEqual(CHUNKS);
    // No invocation asks for more of the input than its window and fixed margins (its tail and a 64 KiB
    // read-ahead, the 64 KiB read for its first line start, the header's maxLineBytes).
    expect(Math.max(...perInvocation)).toBeLessThan(FILE.length / 16 + syncBytes(4096) + 2 * 65_536 + 4096 + 8);
    // The same chunks as one scan of the whole file (the windows' bytes read ahead aside).
    const whole = parseConfig({ pipelines: [{ ...config.pipelines[0]!, chunking: { ...config.pipelines[0]!.chunking, scanWindow: FILE.length * 2 } }] });
    await writeFile(`${dir}/scale.csv`, file);
    const sequential = await planChunks(new FsObjectStore(dir), 'scale.csv', whole.pipelines[0]!);
    expect(JSON.parse(objects.get(planned.manifestKey)!.toString()).map((c: { start: number }) => c.start)).toEqual(sequential.chunks.map((c) => c.start));

    // The Map's items, as the plan step wrote them for the Distributed Map.
    const items = JSON.parse(objects.get(planned.manifestKey)!.toString()) as { start: number; end: number }[];
    stage = 'work';
    t = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < planned.chunks) {
        // The mock's call history keeps every request's body: let it go, the counts are ours.
        if (next % 256 === 0) s3.resetHistory();
        const index = next++;
        await workStep({ jobId, pipeline: 'scale', index, compute: 'lambda', start: items[index]!.start, end: items[index]!.end }, deps);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const workMs = performance.now() - t;

    // The reduce Map's items, one per hash partition, each run as its own reduce λ would.
    const partitions = JSON.parse(objects.get(planned.reduceKey)!.toString()) as { jobId: string; pipeline: string; partition: number }[];
    expect(partitions.length).toBe(planned.reducePartitions);
    stage = 'reduce';
    t = performance.now();
    s3.resetHistory();
    const reducedKeys = (await Promise.all(partitions.map((p) => reduceStep(p, deps)))).reduce((n, r) => n + r.keys, 0);
    const reduceMs = performance.now() - t;
    expect(reducedKeys).toBe(ROWS - REJECTS);

    stage = 'finalize';
    global.gc?.();
    const base = process.memoryUsage();
    const peak = { rss: base.rss, heap: base.heapUsed };
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak.rss = Math.max(peak.rss, m.rss);
      peak.heap = Math.max(peak.heap, m.heapUsed);
    }, 5);
    t = performance.now();
    const result = await finalizeStep({ jobId, pipeline: 'scale' }, deps);
    const finalizeMs = performance.now() - t;
    clearInterval(sampler);

    const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const figures = {
      chunks: planned.chunks,
      rows,
      seconds: { plan: +(planMs / 1000).toFixed(1), work: +(workMs / 1000).toFixed(1), reduce: +(reduceMs / 1000).toFixed(1), finalize: +(finalizeMs / 1000).toFixed(1) },
      s3Requests,
      stateCalls,
      finalizePeakMb: { heapGrowth: +((peak.heap - base.heapUsed) / 2 ** 20).toFixed(1), rss: +(peak.rss / 2 ** 20).toFixed(1) },
    };
    console.log(`scale figures: ${JSON.stringify(figures)}`);

    // Literal outcomes: every row in, out or rejected, the planted duplicates found, so the job fails its rule.
    expect(result.rowsIn).toBe(rows);
    expect(result.rowsRejected).toBe(REJECTS);
    expect(result.rowsOut).toBe(rows - REJECTS);
    if (CHUNKS === 16_000) expect(REJECTS).toBe(48);
    expect(result.status).toBe('FAILED');
    const report = JSON.parse(objects.get(result.reportKey.replace(/report\.html$/, 'report.json'))!.toString()) as { datasetRules: { name: string; passed: boolean; detail: string }[] };
    expect(report.datasetRules.find((r) => r.name === 'one_row_per_id')).toMatchObject({ passed: false });
    expect(report.datasetRules.find((r) => r.name === 'one_row_per_id')!.detail).toContain(`${DUPLICATES} duplicate key`);

    // Finalize reads a bounded number of objects per chunk (rejects, results listing) and the
    // partitions' results, never a key run or the data: the reduce Map read those.
    // Its requests grow with the chunks that have rejects (at most one per reject here), not with the chunks:
    // a chunk without rejects stages none, so there is nothing of it to copy or delete.
    const withRejects = s3Requests.work['PUT staged rejects'] ?? 0;
    expect(withRejects).toBeGreaterThan(0);
    expect(withRejects).toBeLessThanOrEqual(REJECTS);
    expect(s3Requests.finalize['DELETE staged rejects']).toBe(withRejects);
    // Each: a HEAD, GET, PUT and DELETE; then the plan, the partitions' results and the two report objects.
    expect(total(s3Requests.finalize)).toBe(4 * withRejects + planned.reducePartitions + 3);
    expect(s3Requests.finalize['GET key runs'] ?? 0).toBe(0);
    expect(s3Requests.finalize['GET reduce results']).toBe(planned.reducePartitions);
    // Each reduce reads every chunk's run header, then only the stretches that hold keys.
    expect(s3Requests.reduce['GET key runs']).toBeLessThanOrEqual(planned.chunks * planned.reducePartitions + (ROWS - REJECTS));
    expect(s3Requests.reduce['GET plan head']).toBe(planned.reducePartitions);
    expect(s3Requests.finalize['GET input'] ?? 0).toBe(0);
    // A chunk reads the plan's head (its range comes in the Map's item), never the whole plan of 16,000 ranges.
    expect(s3Requests.work['GET plan'] ?? 0).toBe(0);
    expect(s3Requests.work['GET plan head']).toBe(planned.chunks);
    s3.restore();
  });
});
