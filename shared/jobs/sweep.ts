import { matchPipeline } from '../config/match.js';
import { jobIdFor } from '../plan/plan.js';
import { JobStatus, type JobRecord } from '../state/models.js';
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
  /**
   * Only files written within this window are looked up, to dispatch those whose event was lost;
   * older ones had their chance in earlier sweeps. Unset: every file listed (a scheduled run).
   */
  readonly lookbackMs?: number;
  readonly now?: Date;
}

export interface SweepResult {
  /** Files listed under the prefix. */
  readonly scanned: number;
  /** Files recent enough to be looked up (a HEAD and a job read each). */
  readonly checked: number;
  readonly dispatched: string[];
  readonly redriven: string[];
  readonly gaveUp: string[];
  /** Quiet for longer than stuckAfterMs, but their execution still runs (a long Fargate chunk, say): left alone. */
  readonly stillRunning: string[];
}

/**
 * Repairs what events missed. Jobs stuck in RUNNING, or FAILED with a transient error, come from
 * the status index and are started again (a new execution name per attempt) until maxAttempts;
 * permanent failures are left alone, and so is a quiet job whose execution Step Functions still
 * runs. Files in incoming/ without a job are dispatched; only recent ones are looked up, so a
 * sweep's requests follow the jobs and arrivals, not every file the bucket keeps.
 */
export async function sweep(deps: CloudDeps & { starter: ExecutionStarter }, options: SweepOptions): Promise<SweepResult> {
  const now = options.now ?? new Date();
  const result = { scanned: 0, checked: 0, dispatched: [] as string[], redriven: [] as string[], gaveUp: [] as string[], stillRunning: [] as string[] };
  const within = `${INCOMING_PREFIX}${options.prefix ?? ''}`;
  const ours = (job: JobRecord) => job.input.key.startsWith(within) && (!options.pipeline || job.pipeline === options.pipeline);

  const stuck = deps.state.jobsWithStatus(JobStatus.RUNNING, { updatedBefore: new Date(now.getTime() - options.stuckAfterMs).toISOString() });
  for await (const job of stuck) {
    if (!ours(job)) continue;
    // No chunk finished for a while is not proof: ask Step Functions before starting a second execution.
    const execution = job.execution ?? (job.attempts <= 1 ? job.jobId : `${job.jobId}-r${job.attempts}`);
    if (deps.starter.isRunning && (await deps.starter.isRunning(execution))) result.stillRunning.push(job.jobId);
    else await restart(job);
  }
  for await (const job of deps.state.jobsWithStatus(JobStatus.FAILED)) {
    if (ours(job) && (job.error?.name ?? '').endsWith('TransientError')) await restart(job);
  }

  const since = options.lookbackMs === undefined ? undefined : new Date(now.getTime() - options.lookbackMs).toISOString();
  for await (const object of deps.objects.list(within)) {
    result.scanned++;
    if (since !== undefined && object.lastModified !== undefined && object.lastModified < since) continue;
    const pipeline = matchPipeline(deps.config, object.key.slice(INCOMING_PREFIX.length));
    if (!pipeline || (options.pipeline && pipeline.name !== options.pipeline)) continue;
    result.checked++;
    // Listings carry no version id, and dispatch keyed the job by it: ask the object itself.
    const info = (await deps.objects.head(object.key)) ?? object;
    const jobId = jobIdFor(pipeline, { key: object.key, etag: info.etag, size: info.size, versionId: info.versionId });
    if (await deps.state.getJob(jobId)) continue;
    const outcome = await dispatchObject({ key: object.key }, deps);
    if (outcome.outcome === 'started') result.dispatched.push(outcome.jobId);
  }
  deps.log.info('sweep', { scanned: result.scanned, checked: result.checked, dispatched: result.dispatched.length, redriven: result.redriven.length, gaveUp: result.gaveUp.length, stillRunning: result.stillRunning.length });
  return result;

  async function restart(seen: JobRecord): Promise<void> {
    // The index is eventually consistent and a page may be minutes old: act only on the record as
    // it is now, unchanged since the index showed it (a job that finished or was restarted meanwhile is left alone).
    const job = await deps.state.getJob(seen.jobId);
    if (!job || job.status !== seen.status || job.updatedAt !== seen.updatedAt || job.attempts !== seen.attempts) return;
    if (job.attempts >= options.maxAttempts) {
      result.gaveUp.push(job.jobId);
      return;
    }
    const attempts = job.attempts + 1;
    const name = `${job.jobId}-r${attempts}`;
    await deps.state.putJob({ ...job, status: JobStatus.RUNNING, attempts, execution: name, updatedAt: now.toISOString() });
    // Finished chunks keep their checkpoints, so the new execution only runs what is left.
    await deps.starter.start(name, { jobId: job.jobId, pipeline: job.pipeline, key: job.input.key });
    result.redriven.push(job.jobId);
  }
}
