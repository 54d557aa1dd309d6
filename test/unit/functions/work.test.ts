import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FLUX_CONFIG } from '../../fixtures.js';

const s3 = mockClient(S3Client);
vi.stubEnv('BUCKET', 'bucket');
vi.stubEnv('TABLE_NAME', 'table');
vi.stubEnv('SLUICE_CONFIG', JSON.stringify(FLUX_CONFIG));
vi.stubEnv('POWERTOOLS_DEV', 'true');
vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
vi.stubEnv('AWS_REGION', 'eu-west-1');
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
