import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { FLUX_CONFIG } from '../../fixtures.js';
import { stubHandlerEnv } from '../../helpers.js';

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
void DynamoDBClient;

stubHandlerEnv({ pipelines: [{ ...FLUX_CONFIG.pipelines[0], match: { suffix: '.tsv' } }] }, { STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:sluice', POWERTOOLS_DEV: 'true' });
const { handler } = await import('../../../functions/dispatch.js');

function event(...keys: string[]): SQSEvent {
  return {
    Records: keys.map((key, i) => ({
      messageId: `m${i}`,
      receiptHandle: 'r',
      body: JSON.stringify({ Records: [{ s3: { bucket: { name: 'bucket' }, object: { key, size: 10, eTag: 'e' } } }] }),
      attributes: {} as never,
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
      awsRegion: 'eu-west-1',
    })),
  };
}

beforeEach(() => {
  s3.reset();
  ddb.reset();
  sfn.reset();
  s3.on(HeadObjectCommand).resolves({ ContentLength: 10, ETag: '"abc"' });
  ddb.on(PutCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn' });
});

describe('dispatch handler', () => {
  it('decodes URL-encoded keys with + for space and unicode before matching and heading the object', async () => {
    const r = await handler(event('incoming/US+Ha1%2B%C3%A9.tsv'), {} as never);
    expect(r.batchItemFailures).toEqual([]);
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input.Key).toBe('incoming/US Ha1+é.tsv');
    const start = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start.name).toMatch(/^flux-[0-9a-f]{24}$/);
    expect(JSON.parse(start.input!)).toEqual({ jobId: start.name, pipeline: 'flux', key: 'incoming/US Ha1+é.tsv' });
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('counts ExecutionAlreadyExists as success', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const r = await handler(event('incoming/a.tsv'), {} as never);
    expect(r.batchItemFailures).toEqual([]);
  });

  it('does not start a job whose JOB item already exists and ran', async () => {
    const conditional = Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' });
    ddb.on(PutCommand).rejects(conditional);
    ddb.on(GetCommand).resolves({ Item: { job: { jobId: 'x', status: 'SUCCEEDED' } } });
    const r = await handler(event('incoming/a.tsv'), {} as never);
    expect(r.batchItemFailures).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('ignores folder markers, unmatched keys and ../ keys without retrying them', async () => {
    const r = await handler(event('incoming/dir/', 'incoming/x.csv', 'incoming/../secret.tsv'), {} as never);
    expect(r.batchItemFailures).toEqual([]);
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('returns only the failed message when one start fails transiently', async () => {
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })).resolves({ executionArn: 'arn' });
    const r = await handler(event('incoming/a.tsv', 'incoming/b.tsv'), {} as never);
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
  });
});
