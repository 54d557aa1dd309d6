import { failStep } from '../shared/jobs/steps.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/** Fail λ: the catch-all records the cause on the JOB item and publishes JobFailed. */
export const handler = lambdaHandler(
  'fail',
  (input: { jobId: string; pipeline: string; error?: { Error?: string; Cause?: string } }) => ({ jobId: input.jobId, pipeline: input.pipeline }),
  async (input) => {
    metrics.addMetric('JobsFailed', MetricUnit.Count, 1);
    return failStep(input, context);
  },
);
