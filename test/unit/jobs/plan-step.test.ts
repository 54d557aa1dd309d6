import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../shared/aws/s3-object-store.js';
import { parseConfig } from '../../../shared/config/load.js';
import { dispatchObject, type ExecutionInput } from '../../../shared/jobs/dispatch.js';
import { chunksPerInvocation, planStep } from '../../../shared/jobs/steps.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { jobIdFor } from '../../../shared/plan/plan.js';
import { JobStatus } from '../../../shared/state/models.js';
import { FLUX_CONFIG, FLUX_HEADER, fluxTsv } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';

const s3 = mockClient(S3Client);
const config = parseConfig(FLUX_CONFIG);
const pipeline = config.pipelines[0]!;
const key = 'incoming/site.tsv';
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
// The upload the event announced (v1), and the one that replaced it before the plan step ran (v2).
const v1 = Buffer.from(fluxTsv(800).text);
const v2 = Buffer.from(`${FLUX_HEADER.join('\t')}\nUS-Ha1\t201901010000\t201901010030\t1\t2\t0\n`);

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());
beforeEach(() => {
  s3.reset();
  s3.on(HeadObjectCommand).resolves({ ETag: '"e2"', ContentLength: v2.length, VersionId: 'v2' });
  s3.on(PutObjectCommand).resolves({});
});

const slice = (body: Buffer, input: GetObjectCommandInput) => {
  const [, a, b] = /bytes=(\d+)-(\d+)/.exec(input.Range ?? '') ?? [];
  return { Body: Readable.from([a === undefined ? body : body.subarray(Number(a), Number(b) + 1)]) as never };
};

async function recordedJob(input: { key: string; size: number; etag: string; versionId?: string }) {
  const state = new FileStateStore(`${dir}/${input.versionId ?? 'unversioned'}`);
  const jobId = jobIdFor(pipeline, input);
  const now = new Date().toISOString();
  await state.createJob({ jobId, pipeline: pipeline.name, input, status: JobStatus.PLANNED, createdAt: now, updatedAt: now, chunks: 0, attempts: 1 });
  return { jobId, deps: { config, objects: new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), 'bucket'), state, log } };
}

describe('plan step', () => {
  it('plans the version dispatch recorded, though the key was overwritten since (versioned bucket)', async () => {
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => slice(input.VersionId === 'v1' ? v1 : v2, input));
    const { jobId, deps } = await recordedJob({ key, size: v1.length, etag: 'e1', versionId: 'v1' });
    const out = await planStep({ jobId, pipeline: 'flux', key }, deps);
    if (!('chunks' in out)) throw new Error('expected a plan');
    expect(out.jobId).toBe(jobId);
    expect(out.chunks).toBeGreaterThan(1);
    const gets = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
    expect(gets.length).toBeGreaterThan(1);
    expect(gets.every((g) => g.VersionId === 'v1')).toBe(true);
    expect(await deps.state.getJob(jobId)).toMatchObject({ status: 'RUNNING', chunks: out.chunks, input: { versionId: 'v1', size: v1.length } });
  });

  it('checks the header against the schema before any chunk runs (found in review: the scan-window plan had dropped it)', async () => {
    const bad = Buffer.from(`identifier\tx\n${'1\ta\n'.repeat(20_000)}`);
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => slice(bad, input));
    const { jobId, deps } = await recordedJob({ key, size: bad.length, etag: 'e1', versionId: 'v1' });
    await expect(planStep({ jobId, pipeline: 'flux', key }, deps)).rejects.toMatchObject({ name: 'InputError', message: expect.stringContaining('not in the header') });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails an unversioned job whose object changed since the event with an InputError naming it', async () => {
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
      if (input.IfMatch === '"e1"') throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'At least one of the pre-conditions you specified did not hold' });
      return slice(v2, input);
    });
    const { jobId, deps } = await recordedJob({ key, size: v1.length, etag: 'e1' });
    await expect(planStep({ jobId, pipeline: 'flux', key }, deps)).rejects.toMatchObject({
      name: 'InputError',
      message: 's3://bucket/incoming/site.tsv: changed since the job was planned (etag e1, now a different etag); the new upload has its own job',
    });
  });

  it('plans what dispatch recorded: the event is dispatched on v1, the key holds v2 by the plan step', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e1"', ContentLength: v1.length, VersionId: 'v1' });
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => slice(input.VersionId === 'v1' ? v1 : v2, input));
    const deps = { config, objects: new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), 'bucket'), state: new FileStateStore(`${dir}/dispatched`), log };
    const started: ExecutionInput[] = [];
    const starter = { start: async (_name: string, input: unknown) => (started.push(input as ExecutionInput), 'started' as const) };
    const dispatched = await dispatchObject({ key }, { ...deps, starter });
    s3.on(HeadObjectCommand).resolves({ ETag: '"e2"', ContentLength: v2.length, VersionId: 'v2' });
    const out = await planStep(started[0]!, deps);
    expect(dispatched).toEqual({ outcome: 'started', jobId: out.jobId });
    expect((await deps.state.getJob(out.jobId))!.input).toEqual({ key, size: v1.length, etag: 'e1', versionId: 'v1' });
  });

  it('records what one HEAD at dispatch sees, so the job id, version, ETag and size describe one upload', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e2"', ContentLength: v2.length, VersionId: 'v2' });
    const deps = { config, objects: new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), 'bucket'), state: new FileStateStore(`${dir}/one-head`), log };
    const dispatched = await dispatchObject({ key }, { ...deps, starter: { start: async () => 'started' as const } });
    const recorded = { key, size: v2.length, etag: 'e2', versionId: 'v2' };
    expect(dispatched).toEqual({ outcome: 'started', jobId: jobIdFor(pipeline, recorded) });
    expect((await deps.state.getJob(jobIdFor(pipeline, recorded)))!.input).toEqual(recorded);
  });
});

describe('chunks per work invocation', () => {
  const plan = (sizes: number[]) => {
    let at = 0;
    return { chunks: sizes.map((n, index) => ({ index, start: at, end: (at += n) })) } as unknown as Parameters<typeof chunksPerInvocation>[1];
  };
  const withCompute = (compute: Record<string, unknown>) => parseConfig({ pipelines: [{ ...FLUX_CONFIG.pipelines[0], compute }] }).pipelines[0]!;
  it('takes as many small chunks as make 64 MiB, at most 100, one for Fargate or as the config says', () => {
    const auto = withCompute({});
    expect(chunksPerInvocation(auto, plan([64 << 20, 64 << 20]))).toBe(1);
    expect(chunksPerInvocation(auto, plan([100 << 20]))).toBe(1);
    expect(chunksPerInvocation(auto, plan([8 << 20, 8 << 20, 8 << 20]))).toBe(8);
    expect(chunksPerInvocation(auto, plan([(8 << 20) + 1]))).toBe(7);
    expect(chunksPerInvocation(auto, plan([16_000, 16_000]))).toBe(100);
    expect(chunksPerInvocation(auto, plan([]))).toBe(1);
    expect(chunksPerInvocation(withCompute({ type: 'fargate' }), plan([16_000]))).toBe(1);
    expect(chunksPerInvocation(withCompute({ chunksPerInvocation: 3 }), plan([64 << 20]))).toBe(3);
    expect(() => withCompute({ chunksPerInvocation: 0 })).toThrow(/compute\.chunksPerInvocation/);
    expect(() => withCompute({ chunksPerInvocation: 101 })).toThrow(/compute\.chunksPerInvocation/);
  });
});
