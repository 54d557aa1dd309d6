import type { ExecutionInput } from '../shared/jobs/dispatch.js';
import { planStep, scanStep, type ScanTask } from '../shared/jobs/steps.js';
import { context, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/**
 * Plan λ: writes the chunk manifest the Distributed Map reads. For a quoted file of several scan
 * windows it runs three ways: it writes the windows, it scans one (an item of the scan Map), and
 * it resolves their scans (`scanned`) into the plan.
 */
export const handler = lambdaHandler(
  'plan',
  (input: (ExecutionInput & { readonly scanned?: boolean }) | ScanTask) => ({ jobId: input.jobId, pipeline: input.pipeline }),
  async (input) => {
    const started = Date.now();
    if ('window' in input) {
      const r = await scanStep(input, context);
      metrics.addMetric('ScanWindowDuration', MetricUnit.Milliseconds, Date.now() - started);
      return r;
    }
    const r = await planStep(input, context);
    if ('chunks' in r) metrics.addMetric('Chunks', MetricUnit.Count, r.chunks);
    else metrics.addMetric('ScanWindows', MetricUnit.Count, r.windows);
    metrics.addMetric('PlanDuration', MetricUnit.Milliseconds, Date.now() - started);
    return r;
  },
);
