import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { S3Event, SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { decodeS3Key, dispatchObject } from '../shared/jobs/dispatch.js';
import { context, lambdaHandler, logger, metrics, MetricUnit } from './runtime.js';

const processor = new BatchProcessor(EventType.SQS);

/** One SQS message holds one S3 notification (or S3's test event, which has no Records). */
async function handleRecord(record: SQSRecord): Promise<void> {
  const body = JSON.parse(record.body) as Partial<S3Event> & { Event?: string };
  for (const r of body.Records ?? []) {
    const key = decodeS3Key(r.s3.object.key);
    const outcome = await dispatchObject({ key }, { ...context, starter: context.starter });
    metrics.addMetric(`Dispatch_${outcome.outcome}`, MetricUnit.Count, 1);
    if (outcome.outcome === 'ignored') logger.info('ignored object', { key, reason: outcome.reason });
  }
}

/** SQS → dispatch with partial batch failures: only failed messages return to the queue. */
export const handler = lambdaHandler(
  'dispatch',
  (event: SQSEvent) => ({ messages: event.Records.length }),
  (event, lambdaContext?: Context) => processPartialResponse(event, handleRecord, processor, lambdaContext ? { context: lambdaContext } : {}),
);
