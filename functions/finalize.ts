import { finalizeStep } from '../shared/jobs/steps.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/** Finalize λ: merge, rules, gate, report, _SUCCESS, status, event. */
export const handler = lambdaHandler(
  'finalize',
  (input: { jobId: string; pipeline: string }) => ({ jobId: input.jobId, pipeline: input.pipeline }),
  async (input) => {
    const r = await finalizeStep(input, context);
    metrics.addMetric(r.status === 'SUCCEEDED' ? 'JobsSucceeded' : 'JobsFailed', MetricUnit.Count, 1);
    metrics.addMetric('JobDuration', MetricUnit.Milliseconds, r.durationMs);
    return r;
  },
);
