import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { verifyJob } from '../../shared/verify/verify.js';
import { FLUX_CONFIG, fluxTsv } from '../fixtures.js';
import { BUCKET, sqsMessage, startEmulators, TABLE, type Dispatch, type Emulated } from './harness.js';

const config = parseConfig({ pipelines: [{ ...FLUX_CONFIG.pipelines[0], match: { prefix: 'flux/' } }] });
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

describe('emulated cloud under faults', () => {
  it('retries injected S3 SlowDown/5xx and DynamoDB throttling and ends with verified results', async () => {
    await emu.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/flux/faults.tsv', Body: fluxTsv(3000).text }));
    emu.faults.s3Every = 5;
    emu.faults.dynamoEvery = 4;
    let name: string;
    try {
      const before = new Set(emu.executions.keys());
      expect((await dispatch({ Records: [message('incoming/flux/faults.tsv', 'f1')] }, {} as never)).batchItemFailures).toEqual([]);
      name = [...emu.executions.keys()].find((k) => !before.has(k))!;
      const out = (await emu.executions.get(name)) as { result: { status: string; rowsIn: number } };
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
