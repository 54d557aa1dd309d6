import { reduceStep, type ReduceTask } from '../shared/jobs/steps.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/** Reduce λ: one hash partition of a job's `unique` keys, merged over every chunk's key run. */
export const handler = lambdaHandler(
  'reduce',
  (input: ReduceTask) => ({ jobId: input.jobId, pipeline: input.pipeline, partition: input.partition }),
  async (input) => {
    const started = Date.now();
    const r = await reduceStep(input, context);
    metrics.addMetric('KeysReduced', MetricUnit.Count, r.keys);
    metrics.addMetric('ReduceDuration', MetricUnit.Milliseconds, Date.now() - started);
    return r;
  },
);
