import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { parse as csvParse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport } from '../../shared/report/job-report.js';
import { parseConfig } from '../../shared/config/load.js';
import { TransientError } from '../../shared/errors.js';
import { FLUX_CONFIG, fluxTsv } from '../fixtures.js';
import { batchOf, BUCKET, RETRY_SCALE, scaleRetries, sqsMessage, startEmulators, startJob, STATE_LIMIT_BYTES, TABLE, withinStateLimit, type Dispatch, type Emulated } from './harness.js';

const flux = FLUX_CONFIG.pipelines[0]!;
// An external program: reads the staged JSONL, writes a summary and a nested file to its output folder.
const SUMMARIZE = `
const fs = require('node:fs'), path = require('node:path');
const rows = fs.readFileSync(process.env.SLUICE_INPUT, 'utf8').trim().split('\\n').map((l) => JSON.parse(l));
fs.writeFileSync(path.join(process.env.SLUICE_OUTPUT_DIR, 'summary.json'), JSON.stringify({ input: path.basename(process.env.SLUICE_INPUT), rows: rows.length, sites: [...new Set(rows.map((r) => r.SITE_ID))] }));
fs.mkdirSync(path.join(process.env.SLUICE_OUTPUT_DIR, 'plots'));
fs.writeFileSync(path.join(process.env.SLUICE_OUTPUT_DIR, 'plots', 'nee.txt'), String(rows.filter((r) => r.NEE !== null).length));
`;
const config = parseConfig({
  pipelines: [
    { ...flux, name: 'flux', match: { prefix: 'flux/' } },
    { ...flux, name: 'flux-fargate', match: { prefix: 'fargate/' }, compute: { type: 'fargate', memoryMb: 2048 } },
    { ...flux, name: 'flux-batched', match: { prefix: 'batched/' }, compute: { chunksPerInvocation: 3 } },
    { ...flux, name: 'flux-collect', match: { prefix: 'collect/' }, collect: { dedupe: { key: ['SITE_ID', 'TIMESTAMP_START'], keep: 'last' }, sort: ['SITE_ID', 'TIMESTAMP_START'] } },
    // The instrument-software case: one container run per site-year file, on its validated rows.
    { ...flux, name: 'flux-external', match: { prefix: 'external/' }, chunking: { strategy: 'whole-file' }, compute: { type: 'fargate', memoryMb: 2048, command: [process.execPath, '-e', SUMMARIZE] } },
    // Quoted CSV whose boundaries are found in scan windows of three chunks, each by a Plan λ of its own.
    { name: 'quoted', match: { prefix: 'quoted/' }, format: { type: 'csv' }, chunking: { targetSize: 2000, scanWindow: 6000 }, schema: { columns: { id: { type: 'integer', required: true }, note: { type: 'string' } } } },
  ],
});

let emu: Emulated;
beforeAll(async () => void (emu = await startEmulators(config)), 120_000);
afterAll(() => emu?.stop());
const dispatch: Dispatch = (event, context) => emu.dispatch(event, context);
const s3Event = (key: string, id = key): SQSEvent => ({ Records: [sqsMessage(key, id)] });

async function upload(key: string, body: string) {
  await emu.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}
async function text(key: string): Promise<string> {
  const r = await emu.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return r.Body!.transformToString();
}
async function jobItem(jobId: string) {
  const r = await emu.dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `JOB#${jobId}` }, sk: { S: 'META' } }, ConsistentRead: true }));
  return r.Item ? unmarshall(r.Item) : undefined;
}
async function chunkItems(jobId: string) {
  const r = await emu.dynamo.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)', ExpressionAttributeValues: { ':pk': { S: `JOB#${jobId}` }, ':c': { S: 'CHUNK#' } } }));
  return (r.Items ?? []).map((i) => unmarshall(i));
}
async function runOnce(key: string) {
  const { outcome } = await startJob(emu, key);
  const output = (await outcome) as { result: { jobId: string; status: string; rowsIn: number; rowsOut: number; rowsRejected: number; reportKey: string; successKey: string } };
  return output.result;
}

describe('emulated cloud: S3 event → dispatch → state machine → results', () => {
  it('processes a file with bad rows: results, rejects, report, _SUCCESS, JOB and CHUNK items, JobSucceeded', async () => {
    const { text: body, bad } = fluxTsv(2000);
    const key = 'incoming/flux/US Ha1+2019 é.tsv';
    await upload(key, body);
    const result = await runOnce(key);
    expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 2000, rowsOut: 2000 - bad, rowsRejected: bad });

    const success = JSON.parse(await text(result.successKey)) as { parts: { key: string; rows: number }[]; rejects: { key: string; rows: number }[] };
    expect(success.parts.length).toBeGreaterThan(2);
    let rows = 0;
    for (const p of success.parts) rows += (await text(p.key)).trim().split('\n').length;
    expect(rows).toBe(2000 - bad);
    const rejects = (await Promise.all(success.rejects.map((r) => text(r.key)))).join('').trim().split('\n');
    expect(rejects).toHaveLength(bad);
    const lines = body.split('\n');
    for (const r of rejects.map((l) => JSON.parse(l) as { line: number; raw: string })) expect(lines[r.line - 1]).toBe(r.raw);

    const report = JSON.parse(await text(result.reportKey.replace(/html$/, 'json'))) as { accounting: { balanced: boolean } };
    expect(report.accounting.balanced).toBe(true);
    expect(await text(result.reportKey)).toContain('<svg');

    const job = await jobItem(result.jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', inputKey: key });
    const chunks = await chunkItems(result.jobId);
    expect(chunks.length).toBe(success.parts.length);
    expect(chunks.every((c) => c.status === 'DONE' && c.expiresAt > Date.now() / 1000)).toBe(true);
    expect(chunks.reduce((n, c) => n + (c.rowsIn as number), 0)).toBe(2000);
    expect(emu.events.find((e) => e.detailType === 'JobSucceeded' && e.detail.jobId === result.jobId)).toBeDefined();
  });

  it('answers the HTTP API from the job table and the bucket: jobs, a job with a presigned report link, rejects by rule, history', async () => {
    const { text: body, bad } = fluxTsv(600);
    await upload('incoming/flux/api.tsv', body);
    const result = await runOnce('incoming/flux/api.tsv');
    const { handler } = await import('../../functions/api.js');
    // An API Gateway v2 (HTTP API) event, as it reaches the λ once IAM has let the request in.
    const call = async (path: string, query = '') => {
      const event = { version: '2.0', routeKey: `GET ${path}`, rawPath: path, rawQueryString: query, headers: { host: 'api.example.com' }, requestContext: { http: { method: 'GET', path, sourceIp: '127.0.0.1', protocol: 'HTTP/1.1', userAgent: 'test' }, domainName: 'api.example.com', stage: '$default' }, isBase64Encoded: false };
      const r = (await handler(event as never)) as { statusCode: number; body: string };
      return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
    };
    const jobs = (await call('/api/jobs')).body.jobs as { jobId: string; status: string; rows: { in: number; rejected: number } }[];
    expect(jobs.find((j) => j.jobId === result.jobId)).toMatchObject({ status: 'SUCCEEDED', rows: { in: 600, rejected: bad } });
    const detail = await call(`/api/jobs/${result.jobId}`);
    expect(detail.status).toBe(200);
    const links = detail.body.links as { report: string; rejects: string[] };
    expect(links.report).toMatch(/X-Amz-Signature=/);
    // The presigned link opens the report without credentials.
    expect(await (await fetch(links.report)).text()).toContain('<svg');
    const rejects = (await call(`/api/jobs/${result.jobId}/rejects`, 'limit=500')).body.rejects as { line: number; errors: { rule: string }[] }[];
    expect(rejects).toHaveLength(bad);
    const rule = rejects[0]!.errors[0]!.rule;
    const byRule = (await call(`/api/jobs/${result.jobId}/rejects`, `rule=${rule}&limit=500`)).body.rejects as { line: number }[];
    expect(byRule.map((r) => r.line)).toEqual(rejects.filter((r) => r.errors.some((e) => e.rule === rule)).map((r) => r.line));
    const history = (await call('/api/pipelines/flux/history')).body.entries as { jobId: string; rowsIn: number }[];
    expect(history.find((e) => e.jobId === result.jobId)?.rowsIn).toBe(600);
    expect((await call('/api/jobs/nope')).status).toBe(404);
  });

  it('combines a prefix into a collection once every file of it has finished (the collect λ)', async () => {
    const { text: body } = fluxTsv(400);
    // The same rows twice: every key of b.tsv repeats one of a.tsv.
    await upload('incoming/collect/a.tsv', body);
    await upload('incoming/collect/b.tsv', body);
    const { handler } = await import('../../functions/collect.js');
    expect(await handler({ pipeline: 'flux-collect', prefix: 'collect/' })).toEqual({ status: 'WAITING', files: 2, pending: ['incoming/collect/a.tsv', 'incoming/collect/b.tsv'] });
    const a = await runOnce('incoming/collect/a.tsv');
    expect((await handler({ pipeline: 'flux-collect', prefix: 'collect/' })).status).toBe('WAITING');
    await runOnce('incoming/collect/b.tsv');
    const r = (await handler({ pipeline: 'flux-collect', prefix: 'collect/' })) as { status: string; collectionId: string; reportKey: string };
    expect(r.status).toBe('SUCCEEDED');
    const report = JSON.parse(await text(r.reportKey.replace(/html$/, 'json'))) as { accounting: Record<string, unknown>; files: { key: string; rowsAdded: number }[]; outputs: { successKey: string } };
    // The distinct keys of a.tsv's results, counted with a plain Set.
    const success = JSON.parse(await text(a.successKey)) as { parts: { key: string }[] };
    const rows = (await Promise.all(success.parts.map((p) => text(p.key)))).join('').trim().split('\n').map((l) => JSON.parse(l) as { SITE_ID: string; TIMESTAMP_START: string });
    const distinct = new Set(rows.map((x) => `${x.SITE_ID} ${x.TIMESTAMP_START}`)).size;
    expect(report.accounting).toEqual({ rowsIn: 2 * a.rowsOut, rowsOut: distinct, duplicatesDropped: 2 * a.rowsOut - distinct, balanced: true });
    // keep: last, so b.tsv (after a.tsv in key order) gives every row.
    expect(report.files.map((f) => [f.key, f.rowsAdded])).toEqual([['incoming/collect/a.tsv', 0], ['incoming/collect/b.tsv', distinct]]);
    const combined = JSON.parse(await text(report.outputs.successKey)) as { parts: { key: string }[]; rows: { out: number } };
    expect(combined.rows.out).toBe(distinct);
    // Asked again, it finds the collection's _SUCCESS and combines nothing.
    expect(await handler({ pipeline: 'flux-collect', keys: ['incoming/collect/a.tsv', 'incoming/collect/b.tsv'] })).toMatchObject({ status: 'SUCCEEDED', collectionId: r.collectionId, skipped: true });
  });

  it('retries a transient worker error with backoff and still succeeds', async () => {
    await upload('incoming/flux/retry.tsv', fluxTsv(800).text);
    let failures = 0;
    emu.beforeWork = (task) => {
      // The Map gives a batch of chunks: a failure retries the batch, and its done chunks are skipped.
      if (batchOf(task).some((t) => t.index === 1) && failures < 2) {
        failures++;
        const e = new TransientError('injected: S3 read reset');
        e.name = 'Sluice.TransientError';
        throw e;
      }
    };
    try {
      const result = await runOnce('incoming/flux/retry.tsv');
      expect(failures).toBe(2);
      expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 800 });
      const chunks = await chunkItems(result.jobId);
      expect(chunks.find((c) => c.index === 1)).toMatchObject({ status: 'DONE' });
    } finally {
      emu.beforeWork = undefined;
    }
  });

  it('gives each work invocation a batch of chunks ({Items}), as many as the plan says, and every chunk is done once', async () => {
    const { text: body, bad } = fluxTsv(2000);
    await upload('incoming/batched/many.tsv', body);
    const batches: number[][] = [];
    emu.beforeWork = (task) => void batches.push(batchOf(task).map((t) => t.index));
    try {
      const result = await runOnce('incoming/batched/many.tsv');
      expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 2000, rowsOut: 2000 - bad });
      const chunks = await chunkItems(result.jobId);
      expect(chunks.length).toBeGreaterThanOrEqual(6);
      // Batches of 3 (the last may be short), in the manifest's order, covering each chunk once.
      expect(batches.every((b) => b.length >= 1 && b.length <= 3)).toBe(true);
      expect(batches).toHaveLength(Math.ceil(chunks.length / 3));
      expect(batches.flat().sort((a, b) => a - b)).toEqual(chunks.map((c) => c.index as number));
      expect(chunks.every((c) => c.status === 'DONE' && c.attempts === 1)).toBe(true);
    } finally {
      emu.beforeWork = undefined;
    }
  });

  it('plans a quoted CSV in scan windows (a Map of Plan λs, then the plan from their scans), every record once', async () => {
    // Notes with line breaks, commas and doubled quotes, so many nominal boundaries fall inside a quoted field.
    const note = (i: number) => (i % 3 === 0 ? `"line one of ${i}\nline two, with a comma\nand ""quotes"""` : i % 3 === 1 ? `plain ${i}` : '');
    const body = `id,note\n${Array.from({ length: 600 }, (_, i) => `${i},${note(i)}`).join('\n')}\n`;
    await upload('incoming/quoted/notes.csv', body);
    const result = await runOnce('incoming/quoted/notes.csv');
    expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 600, rowsOut: 600, rowsRejected: 0 });
    const report = JSON.parse(await text(result.reportKey.replace(/report\.html$/, 'report.json'))) as JobReport;
    const windows = Math.ceil((Buffer.byteLength(body) - 'id,note\n'.length) / 6000);
    expect(report.plan.method).toContain(`in ${windows} windows`);
    expect(report.plan.chunks).toBeGreaterThanOrEqual(windows * 3 - 2);
    // Each row once, with its note, as an independent CSV parser reads the upload.
    const success = JSON.parse(await text(result.successKey)) as { parts: { key: string }[] };
    const rows = (await Promise.all(success.parts.map((p) => text(p.key)))).join('').trim().split('\n').map((l) => JSON.parse(l) as { id: number; note: string | null });
    const expected = (csvParse(body, { columns: true }) as { id: string; note: string }[]).map((r) => ({ id: Number(r.id), note: r.note === '' ? null : r.note }));
    expect(rows.sort((a, b) => a.id - b.id)).toEqual(expected);
  });

  it('retries a window scan that fails with a transient error, with backoff, and still gives every record once', async () => {
    const body = `id,note\n${Array.from({ length: 600 }, (_, i) => `${i},"a note\nover two lines, ${i}"`).join('\n')}\n`;
    await upload('incoming/quoted/retried.csv', body);
    const failed = new Set<number>();
    emu.beforeScan = (task) => {
      const w = (task as { window: number }).window;
      if (w % 2 === 1 && !failed.has(w)) {
        failed.add(w);
        // As the handler names it for Step Functions (see the work retry test above).
        throw Object.assign(new TransientError('injected: S3 read reset while scanning'), { name: 'Sluice.TransientError' });
      }
    };
    try {
      const result = await runOnce('incoming/quoted/retried.csv');
      expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 600, rowsOut: 600 });
      expect(failed.size).toBeGreaterThanOrEqual(2);
      const success = JSON.parse(await text(result.successKey)) as { parts: { key: string }[] };
      const ids = (await Promise.all(success.parts.map((p) => text(p.key)))).join('').trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id);
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
      const report = JSON.parse(await text(result.reportKey.replace(/report\.html$/, 'report.json'))) as JobReport;
      expect(report.plan.method).toMatch(/in \d+ windows$/);
    } finally {
      emu.beforeScan = undefined;
    }
  });

  it('makes one job from the same S3 event sent twice', async () => {
    await upload('incoming/flux/twice.tsv', fluxTsv(300).text);
    const before = emu.executions.size;
    const first = await dispatch(s3Event('incoming/flux/twice.tsv', 'm1'), {} as never);
    const second = await dispatch(s3Event('incoming/flux/twice.tsv', 'm2'), {} as never);
    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(emu.executions.size).toBe(before + 1);
    await Promise.all(emu.executions.values());
  });

  it('makes no second job from an event redriven from the DLQ after its job finished (sluice redrive)', async () => {
    await upload('incoming/flux/redriven.tsv', fluxTsv(300).text);
    const before = emu.executions.size;
    expect((await dispatch(s3Event('incoming/flux/redriven.tsv', 'first-delivery'), {} as never)).batchItemFailures).toEqual([]);
    await Promise.all(emu.executions.values());
    // StartMessageMoveTask sends the same body again, under a new message id.
    expect((await dispatch(s3Event('incoming/flux/redriven.tsv', 'redriven'), {} as never)).batchItemFailures).toEqual([]);
    expect(emu.executions.size).toBe(before + 1);
  });

  it('runs a fargate pipeline through the ECS task entry as a child process', async () => {
    await upload('incoming/fargate/site.tsv', fluxTsv(600).text);
    const result = await runOnce('incoming/fargate/site.tsv');
    expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 600 });
  });

  it('runs the pipeline\'s external command in the fargate task on the validated rows and uploads what it writes', async () => {
    const { text: body, bad } = fluxTsv(400);
    await upload('incoming/external/US-Ha1_2019.tsv', body);
    const result = await runOnce('incoming/external/US-Ha1_2019.tsv');
    expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 400, rowsOut: 400 - bad });
    const prefix = `results/flux-external/${result.jobId}/external/part-00000/`;
    expect(JSON.parse(await text(`${prefix}summary.json`))).toEqual({ input: 'part-00000.jsonl', rows: 400 - bad, sites: ['US-Ha1'] });
    expect(Number(await text(`${prefix}plots/nee.txt`))).toBeGreaterThan(0);
    // What the run cost: in the report, and as metrics the task printed for CloudWatch (EMF).
    const report = JSON.parse(await text(result.reportKey.replace(/html$/, 'json'))) as JobReport;
    const external = report.resources!.external;
    expect(external).toEqual([expect.objectContaining({ index: 0, retries: 0, bottleneck: expect.stringMatching(/^(cpu|io|memory|waiting)$/) })]);
    expect(external[0]!.wallMs).toBeGreaterThan(0);
    expect(external[0]!.bytesWritten).toBeGreaterThan(0);
    expect(report.resources!.chunks[0]).toMatchObject({ index: 0, bytesRead: expect.any(Number), cpuUserMs: expect.any(Number) });
    const emf = emu.taskOutput.join('').split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const metric = emf.find((m) => 'ExternalDuration' in m);
    expect(metric).toMatchObject({ ExternalDuration: expect.any(Number), ExternalCpuTime: expect.any(Number), ChunkCpuTime: expect.any(Number), ChunkBytesWritten: expect.any(Number) });
  });

  it('retries an S3 outage inside the fargate task, which ECS reports only as an exit code', async () => {
    const key = 'incoming/fargate/outage.tsv';
    await upload(key, fluxTsv(300).text);
    // One chunk, and more failures than the SDK's own three attempts, on reads of the input only.
    emu.beforeTask = () => void (emu.faults.s3Outage ??= { requests: 4, match: (method, url) => method === 'GET' && url.includes('/incoming/fargate/outage') });
    try {
      const result = await runOnce(key);
      expect(result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 300 });
      expect(emu.faults.s3Outage!.requests).toBe(0);
      const chunks = await chunkItems(result.jobId);
      expect(chunks).toEqual([expect.objectContaining({ status: 'DONE', attempts: 2 })]);
      expect(emu.taskOutput.join('')).toContain('retrying chunk');
    } finally {
      emu.beforeTask = undefined;
      emu.faults.s3Outage = undefined;
    }
  });

  it('records a fargate chunk that keeps failing as a transient failure naming that chunk', async () => {
    const key = 'incoming/fargate/down.tsv';
    await upload(key, fluxTsv(300).text);
    emu.beforeTask = () => void (emu.faults.s3Outage ??= { requests: 1_000, match: (method, url) => method === 'GET' && url.includes('/incoming/fargate/down') });
    try {
      const { name, outcome } = await startJob(emu, key);
      await expect(outcome).rejects.toBeDefined();
      const job = await jobItem(name);
      expect(job).toMatchObject({ status: 'FAILED' });
      const error = (job!.job as { error: { name: string; message: string } }).error;
      expect(error.name).toBe('Sluice.TransientError');
      expect(error.message).toMatch(/^chunk 0: .*SlowDown.*\(States\.ExceedToleratedFailureThreshold\)$/s);
      expect(await chunkItems(name)).toEqual([expect.objectContaining({ status: 'FAILED', attempts: 3 })]);
    } finally {
      emu.beforeTask = undefined;
      emu.faults.s3Outage = undefined;
    }
  });

  it('records a permanent failure through the catch-all: JOB FAILED with the cause and a JobFailed event', async () => {
    await upload('incoming/flux/empty.tsv', '');
    const { name, outcome } = await startJob(emu, 'incoming/flux/empty.tsv');
    await expect(outcome).rejects.toBeDefined();
    const job = await jobItem(name);
    expect(job).toMatchObject({ status: 'FAILED' });
    expect((job!.job as { error: { name: string; message: string } }).error).toMatchObject({ name: 'Sluice.InputError', message: expect.stringContaining('file is empty') });
    expect(emu.events.find((e) => e.detailType === 'JobFailed' && e.detail.jobId === name)).toBeDefined();
  });

  it('ignores folder markers and keys no pipeline matches, without failing the batch', async () => {
    const before = emu.executions.size;
    expect((await dispatch(s3Event('incoming/flux/'), {} as never)).batchItemFailures).toEqual([]);
    expect((await dispatch(s3Event('incoming/other/x.csv'), {} as never)).batchItemFailures).toEqual([]);
    expect(emu.executions.size).toBe(before);
  });

  it('kept every task input and output of these runs within the 256 KiB Step Functions allows', () => {
    console.log(`largest state payload: ${emu.payloads.largest} bytes (${emu.payloads.where})`);
    expect(emu.payloads.largest).toBeGreaterThan(0);
    expect(emu.payloads.largest).toBeLessThanOrEqual(STATE_LIMIT_BYTES);
  });
});

describe('the emulated tier\'s own limits', () => {
  it('refuses a payload over 256 KiB as Step Functions does, and scales retry waits without changing their shape', () => {
    const seen = { largest: 0, where: '' };
    expect(withinStateLimit('small', { a: 'x'.repeat(100) }, seen)).toEqual({ a: 'x'.repeat(100) });
    expect(() => withinStateLimit('Work output', { a: 'x'.repeat(STATE_LIMIT_BYTES) }, seen)).toThrow(expect.objectContaining({ name: 'States.DataLimitExceeded' }));
    expect(seen.where).toBe('Work output');
    const asl = { States: { Work: { Type: 'Task', Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 2, MaxDelaySeconds: 300, BackoffRate: 2, MaxAttempts: 12 }, { ErrorEquals: ['States.ALL'] }] } } };
    expect(scaleRetries(asl, RETRY_SCALE).States.Work.Retry).toEqual([
      { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 0.002, MaxDelaySeconds: 0.3, BackoffRate: 2, MaxAttempts: 12 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 0.001 },
    ]);
  });
});
