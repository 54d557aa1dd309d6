// Every handler's frame (functions/runtime.ts): the Lambda context on its log lines, a ColdStart
// metric once per container, its step's metrics, and errors named for Step Functions.
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLUX_CONFIG } from '../../fixtures.js';
import { stubHandlerEnv } from '../../helpers.js';

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
// AWS_LAMBDA_INITIALIZATION_TYPE as Lambda sets it for an on-demand container: Powertools counts cold starts only then.
stubHandlerEnv(FLUX_CONFIG, { STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:sluice', POWERTOOLS_LOG_LEVEL: 'INFO', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
const { handler: sweep } = await import('../../../functions/sweep.js');
const { handler: work } = await import('../../../functions/work.js');

const lambdaContext = (functionName: string, awsRequestId: string) => ({ functionName, awsRequestId, functionVersion: '$LATEST', invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`, memoryLimitInMB: '1024', logGroupName: 'g', logStreamName: 's', getRemainingTimeInMillis: () => 60_000, callbackWaitsForEmptyEventLoop: true, done: () => undefined, fail: () => undefined, succeed: () => undefined }) as Context;

/** The JSON lines a call writes to stdout (Powertools' logs and its embedded-metric blobs). */
async function lines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  try {
    await run().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return out.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
const metricNames = (ls: Record<string, unknown>[]) => ls.flatMap((l) => ((l._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined)?.CloudWatchMetrics ?? []).flatMap((m) => m.Metrics.map((x) => x.Name)));

afterEach(() => {
  s3.reset();
  ddb.reset();
});

describe('handler runtime', () => {
  it('logs with the Lambda context, counts one cold start per container, and emits the sweep\'s figures', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
    ddb.on(QueryCommand).resolves({ Items: [] });
    const first = await lines(() => sweep({}, lambdaContext('Sweep', 'req-1')));
    const log = first.find((l) => l.message === 'sweep')!;
    expect(log).toMatchObject({ function_name: 'Sweep', function_request_id: 'req-1', cold_start: true, service: 'sluice', scanned: 0 });
    expect(metricNames(first)).toEqual(['ColdStart', 'SweepScanned', 'SweepDispatched', 'SweepRedriven', 'SweepGaveUp']);
    expect(first.find((l) => 'ColdStart' in l)).toMatchObject({ function_name: 'Sweep', ColdStart: 1 });
    // The status index was asked, for stuck and for failed jobs.
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.IndexName)).toEqual(['byStatus', 'byStatus']);

    const second = await lines(() => sweep({}, lambdaContext('Sweep', 'req-2')));
    expect(second.find((l) => l.message === 'sweep')).toMatchObject({ function_request_id: 'req-2', cold_start: false });
    expect(metricNames(second)).not.toContain('ColdStart');
  });

  it('names a failed step for Step Functions and still flushes its error metric and clears the job keys', async () => {
    s3.on(ListObjectsV2Command).rejects(new Error('unused'));
    let error: unknown;
    const out = await lines(() => work({ jobId: 'flux-1', pipeline: 'nope', index: 0, compute: 'lambda' }, lambdaContext('Work', 'req-3')).catch((e: unknown) => void (error = e)));
    expect(error).toMatchObject({ name: 'Sluice.ConfigError' });
    expect(metricNames(out)).toContain('WorkerErrors');
    // The next call's lines do not carry the failed call's job.
    ddb.on(QueryCommand).resolves({ Items: [] });
    s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
    const next = await lines(() => sweep({}, lambdaContext('Sweep', 'req-4')));
    expect(next.find((l) => l.message === 'sweep')).not.toHaveProperty('jobId');
  });
});
