import { sweep } from '../shared/jobs/sweep.js';
import { context, env } from './runtime.js';

/**
 * Sweep λ, from the EventBridge schedule: `{}` for the periodic repair (recent files only),
 * `{pipeline, prefix}` for a scheduled pipeline (every file under its prefix).
 */
export const handler = async (event: { pipeline?: string; prefix?: string } = {}) =>
  sweep(context, {
    ...(event.pipeline ? { pipeline: event.pipeline } : {}),
    ...(event.prefix ? { prefix: event.prefix } : {}),
    stuckAfterMs: env.SWEEP_STUCK_MINUTES * 60_000,
    maxAttempts: env.SWEEP_MAX_ATTEMPTS,
    ...(event.pipeline === undefined ? { lookbackMs: env.SWEEP_LOOKBACK_HOURS * 3_600_000 } : {}),
  });
