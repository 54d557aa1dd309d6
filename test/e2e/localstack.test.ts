// Against LocalStack when it answers (npm run localstack:up && npm run localstack:deploy);
// otherwise skipped with the reason. Not part of `npm test`.
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { fluxTsv } from '../fixtures.js';

const endpoint = process.env.LOCALSTACK_ENDPOINT ?? 'http://127.0.0.1:4566';
const reachable = await fetch(`${endpoint}/_localstack/health`).then((r) => r.ok, () => false);
const outputs = reachable ? (JSON.parse(await readFile('.sluice/localstack-outputs.json', 'utf8').catch(() => '{}')) as Record<string, Record<string, string>>) : {};
const bucket = Object.values(outputs.Sluice ?? {}).find((_v, i) => Object.keys(outputs.Sluice ?? {})[i]!.startsWith('DataBucket'));
const reason = !reachable ? `LocalStack does not answer at ${endpoint}` : !bucket ? 'the stack is not deployed (npm run localstack:deploy)' : '';
if (reason) console.warn(`e2e skipped: ${reason}`);

describe.skipIf(Boolean(reason))('LocalStack e2e', () => {
  it('drops a file and sees _SUCCESS and the report with the right counts', async () => {
    const s3 = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const { text, bad } = fluxTsv(1000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'incoming/e2e/US-Ha1_2019.tsv', Body: text }));
    const deadline = Date.now() + 5 * 60_000;
    let report: { accounting: { rowsIn: number; rowsRejected: number; balanced: boolean } } | undefined;
    while (!report && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 3000));
      const list = await fetch(`${endpoint}/${bucket}?list-type=2&prefix=reports/`).then((r) => r.text());
      const key = /<Key>([^<]*report\.json)<\/Key>/.exec(list)?.[1];
      if (key) report = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()) as typeof report;
    }
    expect(report?.accounting).toMatchObject({ rowsIn: 1000, rowsRejected: bad, balanced: true });
  }, 360_000);
});
