import { setTimeout as sleep } from 'node:timers/promises';
import type { RetryPolicy } from '../config/schema.js';
import { isRetryable } from '../errors.js';

/**
 * Delay before retry number `attempt` (1 = first retry): exponential from baseDelayMs, capped at
 * maxDelayMs, and with full jitter a uniform draw in [0, cap] — the same policy the state machine's
 * Retry uses (BackoffRate 2, JitterStrategy FULL, MaxDelaySeconds).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return policy.jitter === 'full' ? Math.floor(random() * cap) : cap;
}

/** Runs `run` until it succeeds, fails permanently, or uses up the policy's attempts, sleeping `backoffDelay` between. */
export async function withRetries<T>(policy: RetryPolicy, run: () => Promise<T>, onRetry: (attempt: number, delayMs: number, e: Error) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (!isRetryable(e) || attempt >= policy.maxAttempts) throw e;
      const delayMs = backoffDelay(policy, attempt);
      onRetry(attempt, delayMs, e as Error);
      await sleep(delayMs);
    }
  }
}

/** A failure as it crosses a thread or a state machine: name and message only. */
export interface FailureInfo {
  readonly name: string;
  readonly message: string;
  readonly retryable: boolean;
}
