import { collectRequestStep, type CollectRequest } from '../shared/jobs/collect.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/**
 * Collect λ, from a scheduled pipeline's rule (`{pipeline, prefix}`) or invoked with
 * `{pipeline, keys}` / `{pipeline, manifestKey}`: combines the files' jobs once all have finished.
 */
export const handler = lambdaHandler(
  'collect',
  (event: CollectRequest) => ({ pipeline: event.pipeline }),
  async (event) => {
    const r = await collectRequestStep(event, context);
    metrics.addMetric(r.status === 'WAITING' ? 'CollectionsWaiting' : r.status === 'SUCCEEDED' ? 'CollectionsSucceeded' : 'CollectionsFailed', MetricUnit.Count, 1);
    return r;
  },
);
