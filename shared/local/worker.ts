import type { MessagePort } from 'node:worker_threads';
import { isRetryable } from '../errors.js';
import type { Pipeline } from '../config/schema.js';
import type { ChunkRange, JobPlan } from '../plan/plan.js';
import { processChunk, type ChunkProgress, type ChunkResult } from '../process/chunk.js';
import type { FailureInfo } from '../process/retry.js';
import { FsObjectStore } from './fs-object-store.js';

/** One chunk as it is sent to a worker thread (structured-cloneable). */
export interface WorkerTask {
  readonly pipeline: Pipeline;
  readonly plan: JobPlan;
  readonly chunk: ChunkRange;
  readonly inputRoot: string;
  readonly outputRoot: string;
  /** Where the chunk's progress (`ChunkProgress`) is posted while it runs; sent in the run's transferList. */
  readonly progress?: MessagePort;
  /** Least wall time between two progress messages (see `ChunkDeps.progressIntervalMs`). */
  readonly progressIntervalMs?: number;
}

export type WorkerReply = { readonly ok: true; readonly result: ChunkResult } | { readonly ok: false; readonly error: FailureInfo };

/** Worker-thread entry: errors come back as data so their names survive the thread boundary. */
export default async function runChunk(task: WorkerTask): Promise<WorkerReply> {
  const port = task.progress;
  try {
    const result = await processChunk(task.pipeline, task.plan, task.chunk, {
      input: new FsObjectStore(task.inputRoot),
      output: new FsObjectStore(task.outputRoot),
      ...(port ? { onProgress: (p: ChunkProgress) => port.postMessage(p), progressIntervalMs: task.progressIntervalMs } : {}),
    });
    return { ok: true, result };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    return { ok: false, error: { name: error.name, message: error.message, retryable: isRetryable(e) } };
  }
}
