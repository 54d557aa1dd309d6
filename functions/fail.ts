import { failStep } from '../shared/jobs/steps.js';
import { context, logger, metrics, MetricUnit } from './runtime.js';

/** Fail λ: the catch-all records the cause on the JOB item and publishes JobFailed. */
export const handler = async (input: { jobId: string; pipeline: string; error?: { Error?: string; Cause?: string } }) => {
  logger.appendKeys({ jobId: input.jobId, pipeline: input.pipeline });
  try {
    metrics.addMetric('JobsFailed', MetricUnit.Count, 1);
    return await failStep(input, context);
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
};
