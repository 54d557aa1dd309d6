import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { layout } from '../../shared/process/layout.js';
import { verifyJob } from '../../shared/verify/verify.js';
import { FLUX_CONFIG, fluxTsv } from '../fixtures.js';
import { batchOf, BUCKET, sqsMessage, startEmulators, startJob, TABLE, type Dispatch, type Emulated } from './harness.js';

const flux = FLUX_CONFIG.pipelines[0]!;
const config = parseConfig({
  pipelines: [
    // One chunk an invocation, so a fault hits the chunk it names.
    { ...flux, match: { prefix: 'flux/' }, compute: { chunksPerInvocation: 1 } },
    { ...flux, name: 'flux-fargate', match: { prefix: 'fargate/' }, compute: { type: 'fargate', memoryMb: 2048 } },
  ],
});
let emu: Emulated;
beforeAll(async () => void (emu = await startEmulators(config)), 120_000);
afterAll(() => emu?.stop());
const dispatch: Dispatch = (event, context) => emu.dispatch(event, context);
const message = (key: string, id: string) => sqsMessage(key, id);

async function verify(jobId: string) {
  const store = new S3ObjectStore(new S3Client({ forcePathStyle: true }), BUCKET);
  const v = await verifyJob(jobId, { input: store, output: store });
  expect(v.checks.filter((c) => !c.ok)).toEqual([]);
  return v;
}

async function successOf(jobId: string, pipeline = 'flux-fargate') {
  const store = new S3ObjectStore(new S3Client({ forcePathStyle: true }), BUCKET);
  const success = JSON.parse((await store.get(`results/${pipeline}/${jobId}/_SUCCESS`))!.toString('utf8')) as { parts: { rows: number; sha256: string }[]; rejects: { rows: number; sha256: string }[] };
  return { parts: success.parts.map((p) => [p.rows, p.sha256]), rejects: success.rejects.map((p) => [p.rows, p.sha256]) };
}

/**
 * Uploads `rows` flux rows as `<key>` and as its `-clean` twin, and runs the twin without faults:
 * the reference the faulted job's results must equal.
 */
async function cleanTwin(key: string, rows: number) {
  const body = fluxTsv(rows).text;
  const twin = key.replace(/\.tsv$/, '-clean.tsv');
  for (const k of [twin, key]) await emu.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: body }));
  const clean = await startJob(emu, twin);
  expect(await clean.outcome).toMatchObject({ result: { status: 'SUCCEEDED', rowsIn: rows } });
  return clean.name;
}

/** Runs a job with a fault armed, expects it to fail, disarms, and gives the JOB item's error. */
async function failedJob(key: string, id: string, disarm: () => void) {
  let run: Awaited<ReturnType<typeof startJob>>;
  try {
    run = await startJob(emu, key, id);
    await expect(run.outcome).rejects.toBeDefined();
  } finally {
    disarm();
  }
  const item = await emu.dynamo.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': { S: `JOB#${run.name}` }, ':sk': { S: 'META' } } }));
  const error = item.Items![0]!.job!.M!.error!.M! as { name: { S: string }; message: { S: string } };
  return { jobId: run.name, error: { name: error.name.S, message: error.message.S } };
}

/** Whether an S3 request is the PUT of a chunk's results part for a job (layout of shared/process/layout.ts). */
const putsPart = (method: string, url: string, jobId: string | undefined, index: number) =>
  jobId !== undefined && method === 'PUT' && url.includes(`/${layout.results('flux', jobId)}${layout.part(index)}.`);

/** Runs each work λ invocation in its own process, keeping the latest per chunk and the job id; clears workErrors. */
function trackInvocations() {
  const seen = { byChunk: new Map<number, ChildProcess>(), jobId: undefined as string | undefined };
  emu.workErrors.length = 0;
  emu.onWorkProcess = (invocation, task) => {
    const [chunk] = batchOf(task);
    seen.byChunk.set(chunk!.index, invocation);
    seen.jobId = chunk!.jobId;
  };
  return seen;
}

describe('emulated cloud under faults', () => {
  it('fails a job whose Fargate worker is killed mid-chunk with a clear transient error, and the sweep resumes it to a clean run\'s results', async () => {
    // One chunk, so the task that writes is the one killed, while it waits for its PUT.
    const clean = await cleanTwin('incoming/fargate/killed.tsv', 300);

    // SIGKILL the task the moment it starts writing its chunk's output to S3.
    let task: ChildProcess | undefined;
    let killed = false;
    emu.onTaskStart = (child) => void (task ??= child);
    emu.faults.s3Watch = (method, url) => {
      if (!killed && task && method === 'PUT' && /\/(results|rejects)\//.test(url)) {
        killed = task.kill('SIGKILL');
      }
    };
    const { jobId, error } = await failedJob('incoming/fargate/killed.tsv', 'k1', () => {
      emu.onTaskStart = undefined;
      emu.faults.s3Watch = undefined;
    });
    expect(killed).toBe(true);
    expect(error.name).toBe('Sluice.TransientError');
    expect(error.message).toMatch(/^1 of 1 chunk\(s\) did not finish \(first: chunk 0\) and none left an error: its worker stopped without a word/);
    expect(error.message).toMatch(/\(States\.ExceedToleratedFailureThreshold: .*\)$/);

    // The schedule's sweep starts it again; finished chunks are skipped, the killed one runs again.
    const swept = await emu.sweep({});
    expect(swept.redriven).toEqual([jobId]);
    await expect(emu.executions.get(`${jobId}-r2`)).resolves.toMatchObject({ result: { status: 'SUCCEEDED', rowsIn: 300 } });
    const v = await verify(jobId);
    expect([v.lost, v.duplicated]).toEqual([0, 0]);
    expect(await successOf(jobId)).toEqual(await successOf(clean));
  });

  it('fails a job whose work λ is killed mid-chunk (Runtime.ExitError) with a clear transient error, and the sweep resumes it to a clean run\'s results', async () => {
    const clean = await cleanTwin('incoming/flux/lambda-killed.tsv', 800);

    // Each invocation in its own process; chunk 1's is SIGKILLed the moment it sends its results part.
    const invocations = trackInvocations();
    let killed = false;
    emu.faults.s3Watch = (method, url) => {
      if (!killed && putsPart(method, url, invocations.jobId, 1)) killed = invocations.byChunk.get(1)?.kill('SIGKILL') ?? false;
    };
    const { jobId, error } = await failedJob('incoming/flux/lambda-killed.tsv', 'lk1', () => {
      emu.onWorkProcess = undefined;
      emu.faults.s3Watch = undefined;
    });
    expect(killed).toBe(true);
    // The other chunks' invocations may still be running after the Map failed; let them end.
    await emu.workIdle();
    expect(emu.workErrors).toEqual([{ index: 1, name: 'Runtime.ExitError' }]);
    expect(error.name).toBe('Sluice.TransientError');
    expect(error.message).toMatch(/chunk\(s\) did not finish \(first: chunk \d+\) and none left an error: its worker stopped without a word/);
    expect(error.message).toMatch(/\(States\.ExceedToleratedFailureThreshold: .*\)$/);

    const swept = await emu.sweep({});
    expect(swept.redriven).toEqual([jobId]);
    await expect(emu.executions.get(`${jobId}-r2`)).resolves.toMatchObject({ result: { status: 'SUCCEEDED', rowsIn: 800 } });
    const v = await verify(jobId);
    expect([v.lost, v.duplicated]).toEqual([0, 0]);
    expect(await successOf(jobId, 'flux')).toEqual(await successOf(clean, 'flux'));
  });

  it('retries a work λ that runs past its timeout (Sandbox.Timedout) and ends with verified results', async () => {
    expect(emu.workTimeoutMs).toBe(900_000); // the template's, from compute.timeoutSeconds
    await emu.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/flux/slow.tsv', Body: fluxTsv(800).text }));
    const timeout = emu.workTimeoutMs;
    let stalled = 0;
    // Shortened so the test takes seconds, not 15 minutes, yet long enough that no other run hits it
    // on a loaded machine; the first run of chunk 1 stalls past it.
    emu.workTimeoutMs = 3_000;
    emu.beforeWork = async (task) => {
      if (batchOf(task)[0]!.index === 1 && stalled++ === 0) await new Promise((r) => setTimeout(r, emu.workTimeoutMs + 500));
    };
    try {
      const { name, outcome } = await startJob(emu, 'incoming/flux/slow.tsv', 's1');
      expect(await outcome).toMatchObject({ result: { status: 'SUCCEEDED', rowsIn: 800 } });
      expect(stalled).toBe(2);
      const chunks = await emu.dynamo.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': { S: `JOB#${name}` }, ':sk': { S: 'CHUNK#000001' } } }));
      expect(chunks.Items![0]!.status!.S).toBe('DONE');
      const v = await verify(name);
      expect([v.lost, v.duplicated]).toEqual([0, 0]);
    } finally {
      emu.workTimeoutMs = timeout;
      emu.beforeWork = undefined;
    }
  });

  it('retries a work λ that times out mid-chunk (frozen while it writes, killed at the timeout) and ends with a clean run\'s results', async () => {
    const clean = await cleanTwin('incoming/flux/frozen.tsv', 800);

    // Each invocation in its own process; chunk 1's first is frozen (SIGSTOP) the moment it sends its
    // results part, so the clock runs out mid-chunk. The clock starts once an invocation's code is
    // loaded; 5 s is far above a chunk's handler time even on a loaded machine.
    const timeout = emu.workTimeoutMs;
    emu.workTimeoutMs = 5_000;
    const invocations = trackInvocations();
    let frozen: ChildProcess | undefined;
    emu.faults.s3Watch = (method, url) => {
      if (!frozen && putsPart(method, url, invocations.jobId, 1) && invocations.byChunk.get(1)?.kill('SIGSTOP')) frozen = invocations.byChunk.get(1);
    };
    try {
      const { name, outcome } = await startJob(emu, 'incoming/flux/frozen.tsv', 'fz1');
      expect(await outcome).toMatchObject({ result: { status: 'SUCCEEDED', rowsIn: 800 } });
      // The frozen invocation, and only it, timed out; the state machine's retry ran in a new process.
      expect(frozen).toBeDefined();
      expect(emu.workErrors).toEqual([{ index: 1, name: 'Sandbox.Timedout' }]);
      expect(invocations.byChunk.get(1)).not.toBe(frozen);
      const v = await verify(name);
      expect([v.lost, v.duplicated]).toEqual([0, 0]);
      expect(await successOf(name, 'flux')).toEqual(await successOf(clean, 'flux'));
    } finally {
      emu.workTimeoutMs = timeout;
      emu.onWorkProcess = undefined;
      emu.faults.s3Watch = undefined;
    }
  });

  it('retries injected S3 SlowDown/5xx and DynamoDB throttling and ends with verified results', async () => {
    await emu.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/flux/faults.tsv', Body: fluxTsv(3000).text }));
    emu.faults.s3Every = 5;
    emu.faults.dynamoEvery = 4;
    let name: string;
    try {
      const started = await startJob(emu, 'incoming/flux/faults.tsv', 'f1');
      name = started.name;
      const out = (await started.outcome) as { result: { status: string; rowsIn: number } };
      expect(out.result).toMatchObject({ status: 'SUCCEEDED', rowsIn: 3000 });
    } finally {
      emu.faults.s3Every = 0;
      emu.faults.dynamoEvery = 0;
    }
    console.log(`faults injected: ${emu.faults.injected.s3} S3 (SlowDown/500), ${emu.faults.injected.dynamo} DynamoDB throttles`);
    expect(emu.faults.injected.s3).toBeGreaterThan(10);
    expect(emu.faults.injected.dynamo).toBeGreaterThan(3);
    const v = await verify(name!);
    expect([v.lost, v.duplicated]).toEqual([0, 0]);
  });

  it('turns a burst of 500 S3 events (with duplicate deliveries) into exactly 500 jobs', async () => {
    emu.runExecutions = false;
    try {
      const keys = Array.from({ length: 500 }, (_, i) => `incoming/flux/burst/site-${String(i).padStart(3, '0')}.tsv`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((k) => emu.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: fluxTsv(3).text }))));
      }
      const before = emu.executions.size;
      // SQS batches of 10; every 5th message is delivered twice, as at-least-once delivery allows.
      const messages = keys.flatMap((k, i) => (i % 5 === 0 ? [message(k, `a${i}`), message(k, `b${i}`)] : [message(k, `a${i}`)]));
      const failures: string[] = [];
      for (let i = 0; i < messages.length; i += 10) {
        const batch = messages.slice(i, i + 10);
        failures.push(...(await dispatch({ Records: batch }, {} as never)).batchItemFailures.map((f) => f.itemIdentifier));
      }
      expect(failures).toEqual([]);
      expect(emu.executions.size - before).toBe(500);
      let planned = 0;
      let start: Record<string, never> | undefined;
      do {
        const r = await emu.dynamo.send(new QueryCommand({ TableName: TABLE, IndexName: 'byStatus', KeyConditionExpression: '#s = :p', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':p': { S: 'PLANNED' } }, ExclusiveStartKey: start }));
        planned += (r.Items ?? []).filter((i) => i.inputKey?.S?.startsWith('incoming/flux/burst/')).length;
        start = r.LastEvaluatedKey as never;
      } while (start);
      expect(planned).toBe(500);
    } finally {
      emu.runExecutions = true;
    }
  });
});
