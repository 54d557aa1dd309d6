import { workStep, type ChunkTask } from '../shared/jobs/steps.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/** Work λ: one chunk. */
export const handler = lambdaHandler(
  'work',
  (task: ChunkTask) => ({ jobId: task.jobId, pipeline: task.pipeline, chunk: task.index }),
  async (task) => {
    const started = Date.now();
    try {
      const r = await workStep(task, context);
      metrics.addMetric('RowsIn', MetricUnit.Count, r.rowsIn);
      metrics.addMetric('RowsOut', MetricUnit.Count, r.rowsOut);
      metrics.addMetric('RowsRejected', MetricUnit.Count, r.rowsRejected);
      metrics.addMetric('Bytes', MetricUnit.Bytes, r.bytes);
      metrics.addMetric('ChunkDuration', MetricUnit.Milliseconds, Date.now() - started);
      return r;
    } catch (e) {
      metrics.addMetric('WorkerErrors', MetricUnit.Count, 1);
      throw e;
    }
  },
);
