import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { InputError, TransientError } from '../errors.js';
import { changedSincePlanned, type ObjectInfo, type ObjectStore, type ObjectVersion, type ObjectWriter } from '../store/object-store.js';

/** Errors the SDK already retried that may still heal: throttling and 5xx become TransientError for Step Functions. */
export function classifyAwsError(e: unknown, what: string): unknown {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | undefined;
  const status = err?.$metadata?.httpStatusCode ?? 0;
  const throttled = ['SlowDown', 'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'InternalError', 'ServiceUnavailable', 'TimeoutError'];
  if (status >= 500 || throttled.includes(err?.name ?? '') || err?.$retryable) {
    return new TransientError(`${what}: ${err?.name ?? 'error'} (${status || 'no status'})`, { cause: e });
  }
  return e;
}

const stripQuotes = (etag: string | undefined) => (etag ?? '').replaceAll('"', '');

/** An S3 bucket as the engine's ObjectStore. Uploads are multipart and appear only when complete. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: r.ContentLength ?? 0, etag: stripQuotes(r.ETag), ...(r.VersionId && r.VersionId !== 'null' ? { versionId: r.VersionId } : {}) };
    } catch (e) {
      if (e instanceof NotFound || e instanceof NoSuchKey || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw classifyAwsError(e, `s3://${this.bucket}/${key}`);
    }
  }

  async *read(key: string, range?: { start: number; end: number }, version?: ObjectVersion): AsyncIterable<Uint8Array> {
    if (range && range.end <= range.start) return;
    // A versioned bucket keeps the planned bytes readable after an overwrite; otherwise IfMatch
    // refuses a changed object.
    const pin = version ? (version.versionId ? { VersionId: version.versionId } : { IfMatch: `"${version.etag}"` }) : {};
    let body: Readable;
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...pin, ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}) }));
      body = r.Body as Readable;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (version && ((e as Error).name === 'PreconditionFailed' || status === 412)) {
        throw changedSincePlanned(`s3://${this.bucket}/${key}`, version, 'a different etag');
      }
      if (version && status === 404) {
        throw new InputError(`s3://${this.bucket}/${key}`, 0, `the planned version (${version.versionId ?? `etag ${version.etag}`}) no longer exists`);
      }
      throw classifyAwsError(e, `s3://${this.bucket}/${key}`);
    }
    try {
      for await (const chunk of body) yield chunk as Uint8Array;
    } catch (e) {
      throw new TransientError(`s3://${this.bucket}/${key}: read interrupted (${(e as Error).message})`, { cause: e });
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw classifyAwsError(e, `s3://${this.bucket}/${key}`);
    }
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
    } catch (e) {
      throw classifyAwsError(e, `s3://${this.bucket}/${key}`);
    }
  }

  writer(key: string): ObjectWriter {
    const where = `s3://${this.bucket}/${key}`;
    const body = new PassThrough({ highWaterMark: 8 << 20 });
    // lib-storage buffers 8 MiB parts and uploads two at once.
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: body }, queueSize: 2, partSize: 8 << 20 });
    const done = upload.done().catch((e: unknown) => {
      throw classifyAwsError(e, where);
    });
    done.catch(() => undefined);
    return {
      async write(chunk) {
        // The body queues what it is given until the upload reads it: a copy, so the caller may reuse its buffer.
        // A failed upload stops reading the body, so its error must end the wait for drain.
        if (!body.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk))) {
          await Promise.race([once(body, 'drain'), done]).catch((e: unknown) => {
            throw classifyAwsError(e, where);
          });
        }
      },
      async commit() {
        body.end();
        await done;
      },
      async abort() {
        body.destroy();
        await upload.abort().catch(() => undefined);
      },
    };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) yield { key: o.Key!, size: o.Size ?? 0, etag: stripQuotes(o.ETag), ...(o.LastModified ? { lastModified: o.LastModified.toISOString() } : {}) };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
