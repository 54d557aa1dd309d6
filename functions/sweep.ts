import { sweep } from '../shared/jobs/sweep.js';
import { context, env, lambdaHandler, metrics, MetricUnit } from './runtime.js';

/**
 * Sweep λ, from the EventBridge schedule: `{}` for the periodic repair (recent files only),
 * `{pipeline, prefix}` for a scheduled pipeline (every file under its prefix).
 */
export const handler = lambdaHandler(
  'sweep',
  (event: { pipeline?: string; prefix?: string } = {}) => ({ ...(event.pipeline ? { pipeline: event.pipeline } : {}) }),
  async (event = {}) => {
    const r = await sweep(context, {
      ...(event.pipeline ? { pipeline: event.pipeline } : {}),
      ...(event.prefix ? { prefix: event.prefix } : {}),
      stuckAfterMs: env.SWEEP_STUCK_MINUTES * 60_000,
      maxAttempts: env.SWEEP_MAX_ATTEMPTS,
      ...(event.pipeline === undefined ? { lookbackMs: env.SWEEP_LOOKBACK_HOURS * 3_600_000 } : {}),
    });
    metrics.addMetric('SweepScanned', MetricUnit.Count, r.scanned);
    metrics.addMetric('SweepDispatched', MetricUnit.Count, r.dispatched.length);
    metrics.addMetric('SweepRedriven', MetricUnit.Count, r.redriven.length);
    metrics.addMetric('SweepGaveUp', MetricUnit.Count, r.gaveUp.length);
    return r;
  },
);
