import { workItems, workStep, type WorkInput } from '../shared/jobs/steps.js';
import { addResourceMetrics } from '../shared/aws/metrics.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/** Work λ: one chunk, or the Map's batch of small chunks one after another (done ones are skipped on a retry). */
export const handler = lambdaHandler(
  'work',
  (input: WorkInput) => {
    const items = workItems(input);
    return { jobId: items[0]?.jobId, pipeline: items[0]?.pipeline, chunk: items.length === 1 ? items[0]!.index : items.map((t) => t.index).join(',') };
  },
  async (input) => {
    const results = [];
    for (const task of workItems(input)) {
      const started = Date.now();
      try {
        const r = await workStep(task, context);
        metrics.addMetric('RowsIn', MetricUnit.Count, r.rowsIn);
        metrics.addMetric('RowsOut', MetricUnit.Count, r.rowsOut);
        metrics.addMetric('RowsRejected', MetricUnit.Count, r.rowsRejected);
        metrics.addMetric('Bytes', MetricUnit.Bytes, r.bytes);
        metrics.addMetric('ChunkDuration', MetricUnit.Milliseconds, Date.now() - started);
        addResourceMetrics(metrics, r.resources);
        // The Map discards the output; the figures are in the metrics and the chunk record.
        const { resources: _r, ...figures } = r;
        results.push(figures);
      } catch (e) {
        metrics.addMetric('WorkerErrors', MetricUnit.Count, 1);
        throw e;
      }
    }
    // One chunk's figures as before; a batch's as a list (the Map discards either).
    return 'Items' in input ? { chunks: results } : results[0]!;
  },
);
