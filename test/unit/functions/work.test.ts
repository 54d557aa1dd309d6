import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FLUX_CONFIG } from '../../fixtures.js';
import { stubHandlerEnv } from '../../helpers.js';

const s3 = mockClient(S3Client);
stubHandlerEnv(FLUX_CONFIG, { POWERTOOLS_DEV: 'true' });
const { handler } = await import('../../../functions/work.js');
const task = { jobId: 'flux-1', pipeline: 'flux', index: 0, compute: 'lambda' as const };

beforeEach(() => s3.reset());

describe('work handler', () => {
  it('raises S3 5xx as Sluice.TransientError so the state machine retries it', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
    await expect(handler(task)).rejects.toMatchObject({ name: 'Sluice.TransientError', message: expect.stringContaining('SlowDown (503)') });
  });

  it('raises a missing plan as Sluice.InputError, which is not retried', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no', $metadata: { httpStatusCode: 404 } }));
    await expect(handler(task)).rejects.toMatchObject({ name: 'Sluice.InputError', message: expect.stringContaining('plan not found') });
  });

  it('names an unknown pipeline as a config error', async () => {
    await expect(handler({ ...task, pipeline: 'nope' })).rejects.toMatchObject({ name: 'Sluice.ConfigError' });
  });
});
