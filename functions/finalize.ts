import { finalizeStep } from '../shared/jobs/steps.js';
import { context, forStepFunctions, logger, metrics, MetricUnit } from './runtime.js';

/** Finalize λ: merge, rules, gate, report, _SUCCESS, status, event. */
export const handler = async (input: { jobId: string; pipeline: string }) => {
  logger.appendKeys({ jobId: input.jobId, pipeline: input.pipeline });
  try {
    const r = await finalizeStep(input, context);
    metrics.addMetric(r.status === 'SUCCEEDED' ? 'JobsSucceeded' : 'JobsFailed', MetricUnit.Count, 1);
    metrics.addMetric('JobDuration', MetricUnit.Milliseconds, r.durationMs);
    return r;
  } catch (e) {
    throw forStepFunctions(e);
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
};
