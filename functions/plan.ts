import type { ExecutionInput } from '../shared/jobs/dispatch.js';
import { planStep } from '../shared/jobs/steps.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/** Plan λ: writes the chunk manifest the Distributed Map reads. */
export const handler = lambdaHandler(
  'plan',
  (input: ExecutionInput) => ({ jobId: input.jobId, pipeline: input.pipeline }),
  async (input) => {
    const started = Date.now();
    const r = await planStep(input, context);
    metrics.addMetric('Chunks', MetricUnit.Count, r.chunks);
    metrics.addMetric('PlanDuration', MetricUnit.Milliseconds, Date.now() - started);
    return r;
  },
);
