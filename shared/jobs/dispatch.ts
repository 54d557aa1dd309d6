import { matchPipeline } from '../config/match.js';
import { jobIdFor } from '../plan/plan.js';
import { JobStatus, type JobRecord } from '../state/models.js';
import { INCOMING_PREFIX, type CloudDeps, type ExecutionStarter } from './ports.js';

/**
 * One object notification, with the key already decoded. Only the key: the version, ETag and size
 * come from one HEAD at dispatch, so they always describe the same upload.
 */
export interface ObjectEvent {
  readonly key: string;
}

export type DispatchOutcome =
  | { readonly outcome: 'started'; readonly jobId: string }
  | { readonly outcome: 'duplicate'; readonly jobId: string }
  | { readonly outcome: 'ignored'; readonly reason: string };

/** The input every execution gets: enough to find the plan, nothing more (state payloads are capped at 256 KiB). */
export interface ExecutionInput {
  readonly jobId: string;
  readonly pipeline: string;
  readonly key: string;
}

/**
 * S3 event keys are URL-encoded with '+' for space (form encoding), so decode '+' first.
 * "a+b%2B.csv" is the object "a b+.csv".
 */
export function decodeS3Key(raw: string): string {
  return decodeURIComponent(raw.replace(/\+/g, ' '));
}

/**
 * Turns an object-created event into at most one job: folder markers and keys no pipeline
 * matches are ignored (not retried); the job id is deterministic; the JOB item is put
 * conditionally and the execution is named after the job, so duplicates vanish.
 */
export async function dispatchObject(event: ObjectEvent, deps: CloudDeps & { starter: ExecutionStarter }): Promise<DispatchOutcome> {
  const { key } = event;
  if (key.endsWith('/')) return { outcome: 'ignored', reason: 'folder marker' };
  if (!key.startsWith(INCOMING_PREFIX)) return { outcome: 'ignored', reason: `not under ${INCOMING_PREFIX}` };
  if (key.split('/').some((part) => part === '..' || part === '.')) return { outcome: 'ignored', reason: 'key has a relative path segment' };
  const pipeline = matchPipeline(deps.config, key.slice(INCOMING_PREFIX.length));
  if (!pipeline) return { outcome: 'ignored', reason: 'no pipeline matches' };
  const info = await deps.objects.head(key);
  if (!info) return { outcome: 'ignored', reason: 'object no longer exists' };
  const input = { key, size: info.size, etag: info.etag, ...(info.versionId ? { versionId: info.versionId } : {}) };
  const jobId = jobIdFor(pipeline, input);
  const now = new Date().toISOString();
  // The recorded version is the one the plan step reads, whatever the key holds by then.
  const job: JobRecord = { jobId, pipeline: pipeline.name, input, status: JobStatus.PLANNED, createdAt: now, updatedAt: now, chunks: 0, attempts: 1, execution: jobId };
  const created = await deps.state.createJob(job);
  if (!created) {
    const existing = await deps.state.getJob(jobId);
    // A job whose start was interrupted (PLANNED, never ran) is started again; anything else is a duplicate.
    if (existing && existing.status !== JobStatus.PLANNED) return { outcome: 'duplicate', jobId };
  }
  const started = await deps.starter.start(jobId, { jobId, pipeline: pipeline.name, key } satisfies ExecutionInput);
  deps.log.info('dispatched', { jobId, pipeline: pipeline.name, key, started });
  return started === 'started' ? { outcome: 'started', jobId } : { outcome: 'duplicate', jobId };
}
