import { CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../shared/aws/s3-object-store.js';

const s3 = mockClient(S3Client);
const store = new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), 'bucket');
beforeEach(() => s3.reset());

async function text(it: AsyncIterable<Uint8Array>): Promise<string> {
  let out = '';
  for await (const c of it) out += Buffer.from(c).toString();
  return out;
}

describe('S3ObjectStore reads of a planned version', () => {
  it('reads the planned version id in a versioned bucket, even after an overwrite', async () => {
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('old bytes')]) as never });
    expect(await text(store.read('incoming/a.csv', { start: 0, end: 9 }, { etag: 'e1', versionId: 'v1' }))).toBe('old bytes');
    const input = s3.commandCalls(GetObjectCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ Key: 'incoming/a.csv', VersionId: 'v1', Range: 'bytes=0-8' });
    expect(input.IfMatch).toBeUndefined();
  });

  it('refuses a changed object in an unversioned bucket with an InputError naming it', async () => {
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'At least one of the pre-conditions you specified did not hold' }));
    await expect(text(store.read('incoming/a.csv', { start: 0, end: 9 }, { etag: 'e1' }))).rejects.toMatchObject({
      name: 'InputError',
      message: 's3://bucket/incoming/a.csv: changed since the job was planned (etag e1, now a different etag); the new upload has its own job',
    });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toMatchObject({ IfMatch: '"e1"' });
  });

  it('fails permanently when the planned version no longer exists', async () => {
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'NoSuchVersion', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'The specified version does not exist.' }));
    await expect(text(store.read('incoming/a.csv', undefined, { etag: 'e1', versionId: 'v1' }))).rejects.toMatchObject({
      name: 'InputError',
      message: 's3://bucket/incoming/a.csv: the planned version (v1) no longer exists',
    });
  });
});

describe('S3ObjectStore writer', () => {
  it('uploads the bytes a chunk held when written, though its buffer is filled again once the write resolved', async () => {
    const bodies: string[] = [];
    s3.on(PutObjectCommand).callsFake(async (input: { Body: unknown }) => {
      const b = input.Body;
      bodies.push(typeof b === 'string' ? b : b instanceof Uint8Array ? Buffer.from(b).toString() : await text(b as AsyncIterable<Uint8Array>));
      return { ETag: '"e"' };
    });
    const w = store.writer('results/p/j/part-00000.jsonl');
    const chunk = Buffer.from('aaaa');
    await w.write(chunk);
    chunk.fill('b');
    await w.write(chunk);
    chunk.fill('z');
    await w.commit();
    expect(bodies).toEqual(['aaaabbbb']);
  });

  it('rejects a write when the upload has failed, instead of waiting for a drain that never comes', async () => {
    s3.on(CreateMultipartUploadCommand).rejects(new S3ServiceException({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' }));
    const w = store.writer('results/p/j/part-00000.jsonl');
    const fill = async () => {
      for (let i = 0; i < 64; i++) await w.write(Buffer.alloc(1 << 20));
      await w.commit();
    };
    await expect(fill()).rejects.toMatchObject({ name: 'TransientError', message: 's3://bucket/results/p/j/part-00000.jsonl: ServiceUnavailable (503)' });
    await w.abort();
  });
});
