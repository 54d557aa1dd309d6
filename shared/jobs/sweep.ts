import { matchPipeline } from '../config/match.js';
import { jobIdFor } from '../plan/plan.js';
import { JobStatus } from '../state/models.js';
import { dispatchObject } from './dispatch.js';
import { INCOMING_PREFIX, type CloudDeps, type ExecutionStarter } from './ports.js';

export interface SweepOptions {
  /** Only keys under incoming/<prefix> (a scheduled pipeline's daily prefix, say). */
  readonly prefix?: string;
  /** Only this pipeline (scheduled runs). */
  readonly pipeline?: string;
  /** RUNNING longer than this is stuck. */
  readonly stuckAfterMs: number;
  /** A job is started again at most this many times in all. */
  readonly maxAttempts: number;
  readonly now?: Date;
}

export interface SweepResult {
  readonly scanned: number;
  readonly dispatched: string[];
  readonly redriven: string[];
  readonly gaveUp: string[];
  /** Quiet for longer than stuckAfterMs, but their execution still runs (a long Fargate chunk, say): left alone. */
  readonly stillRunning: string[];
}

/**
 * Repairs what events missed: files in incoming/ without a job are dispatched; jobs stuck in
 * RUNNING, or FAILED with a transient error, are started again (a new execution name per
 * attempt) until maxAttempts. Permanent failures are left alone, and so is a quiet job whose
 * execution Step Functions still runs.
 */
export async function sweep(deps: CloudDeps & { starter: ExecutionStarter }, options: SweepOptions): Promise<SweepResult> {
  const now = options.now ?? new Date();
  const result = { scanned: 0, dispatched: [] as string[], redriven: [] as string[], gaveUp: [] as string[], stillRunning: [] as string[] };
  for await (const object of deps.objects.list(`${INCOMING_PREFIX}${options.prefix ?? ''}`)) {
    result.scanned++;
    const pipeline = matchPipeline(deps.config, object.key.slice(INCOMING_PREFIX.length));
    if (!pipeline || (options.pipeline && pipeline.name !== options.pipeline)) continue;
    // Listings carry no version id, and dispatch keyed the job by it: ask the object itself.
    const info = (await deps.objects.head(object.key)) ?? object;
    const jobId = jobIdFor(pipeline, { key: object.key, etag: info.etag, size: info.size, versionId: info.versionId });
    const job = await deps.state.getJob(jobId);
    if (!job) {
      const outcome = await dispatchObject({ key: object.key }, deps);
      if (outcome.outcome === 'started') result.dispatched.push(outcome.jobId);
      continue;
    }
    const stuck = job.status === JobStatus.RUNNING && now.getTime() - Date.parse(job.updatedAt) > options.stuckAfterMs;
    const transient = job.status === JobStatus.FAILED && (job.error?.name ?? '').endsWith('TransientError');
    if (!stuck && !transient) continue;
    // No chunk finished for a while is not proof: ask Step Functions before starting a second execution.
    const execution = job.execution ?? (job.attempts <= 1 ? jobId : `${jobId}-r${job.attempts}`);
    if (stuck && deps.starter.isRunning && (await deps.starter.isRunning(execution))) {
      result.stillRunning.push(jobId);
      continue;
    }
    if (job.attempts >= options.maxAttempts) {
      result.gaveUp.push(jobId);
      continue;
    }
    const attempts = job.attempts + 1;
    const name = `${jobId}-r${attempts}`;
    await deps.state.putJob({ ...job, status: JobStatus.RUNNING, attempts, execution: name, updatedAt: now.toISOString() });
    // Finished chunks keep their checkpoints, so the new execution only runs what is left.
    await deps.starter.start(name, { jobId, pipeline: pipeline.name, key: object.key });
    result.redriven.push(jobId);
  }
  deps.log.info('sweep', { scanned: result.scanned, dispatched: result.dispatched.length, redriven: result.redriven.length, gaveUp: result.gaveUp.length, stillRunning: result.stillRunning.length });
  return result;
}
