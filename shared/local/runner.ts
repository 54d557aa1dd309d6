import { availableParallelism } from 'node:os';
import { dirname, basename, isAbsolute, join, relative, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Config, Pipeline } from '../config/schema.js';
import { selectPipeline } from '../config/match.js';
import { InputError, JobFailedError, OutputError } from '../errors.js';
import type { EventPublisher, JobDeps } from '../jobs/ports.js';
import { collectionIdFor, collectionResults, collectStep } from '../jobs/collect.js';
import { doneChunks, failJob, finishedResult, planJob, recordChunkFailure, reducePartitionsOf, storePlan } from '../jobs/steps.js';
import type { JobPlan } from '../plan/plan.js';
import type { ChunkProgress } from '../process/chunk.js';
import { layout } from '../process/layout.js';
import { backoffDelay, type FailureInfo } from '../process/retry.js';
import type { CollectionReport } from '../report/collection.js';
import type { JobReport } from '../report/job-report.js';
import { JobStatus, type JobRecord } from '../state/models.js';
import { FileStateStore } from './file-state-store.js';
import { FsObjectStore } from './fs-object-store.js';
import { acquireJobLock } from './job-lock.js';
import { prepareOutputDir } from './output-dir.js';
import type { FinalizeReply, FinalizeTask, ReduceReply, ReduceWorkerTask, WorkerReply, WorkerTask } from './worker.js';

export interface RunOptions {
  readonly config: Config;
  readonly files: readonly string[];
  /** Output root: results/, rejects/, reports/, manifests/ and state/ go under it. */
  readonly out: string;
  readonly workers?: number;
  /** Run every file through this pipeline, whatever its `match` says. */
  readonly pipeline?: string;
  /** Ignore checkpoints and process every chunk again. */
  readonly force?: boolean;
  readonly onEvent?: (event: RunEvent) => void;
  /** Least wall time between two 'progress' events of one running chunk; 500 ms unless set. */
  readonly progressIntervalMs?: number;
}

export type RunEvent =
  | { readonly type: 'planned'; readonly file: string; readonly plan: JobPlan; readonly skipped: number }
  | { readonly type: 'chunk'; readonly jobId: string; readonly index: number; readonly rows: number; readonly bytes: number; readonly skipped: boolean }
  /**
   * A running chunk's rows and bytes so far, cumulative for this attempt: a retry starts again
   * from 0, and the chunk's 'chunk' event (which always comes after its last 'progress') replaces it.
   */
  | { readonly type: 'progress'; readonly jobId: string; readonly index: number; readonly rows: number; readonly bytes: number }
  | { readonly type: 'retry'; readonly jobId: string; readonly index: number; readonly attempt: number; readonly delayMs: number; readonly error: FailureInfo }
  | { readonly type: 'job'; readonly file: string; readonly report: JobReport; readonly reportPath: string }
  | { readonly type: 'collection'; readonly outcome: CollectionOutcome }
  | { readonly type: 'warning'; readonly message: string };

export interface JobOutcome {
  readonly file: string;
  readonly jobId: string;
  readonly pipeline: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  /** The job's report, but for its completeness slot ranges (`stats.coverage` is empty: report.json holds them). */
  readonly report?: JobReport;
  readonly reportPath?: string;
  readonly resultsDir: string;
}

interface Job {
  file: string;
  pipeline: Pipeline;
  plan: JobPlan;
  inputRoot: string;
  /** Chunks with a DONE record of this plan: skipped, or finished during the run. */
  done: Set<number>;
  failure?: FailureInfo;
}

type Pool = Piscina<WorkerTask | ReduceWorkerTask | FinalizeTask, WorkerReply | ReduceReply | FinalizeReply>;

/** The job flow's deps on this machine: files under the output folder. */
type LocalDeps = JobDeps & { readonly objects: FsObjectStore; readonly state: FileStateStore; readonly events: EventPublisher };

// Locally no bus takes the job's events: the run's own events and report say it.
const noEvents: EventPublisher = { publish: async () => undefined };

/** Where a local file lives as an object: under the working folder when it is, else its own folder. */
export function inputLocation(file: string): { root: string; key: string } {
  const abs = resolve(file);
  const rel = relative(process.cwd(), abs);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return { root: process.cwd(), key: rel.split('\\').join('/') };
  return { root: dirname(abs), key: basename(abs) };
}

function workerFile(): { filename: string; execArgv: string[] } {
  const url = new URL('./worker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) {
    // Running from source (tsx, vitest): the worker thread needs the TypeScript loader too.
    return { filename: new URL('./worker.ts', import.meta.url).href, execArgv: ['--import', import.meta.resolve('tsx')] };
  }
  return { filename: url.href, execArgv: [] };
}

/**
 * `sluice run`: the job flow of shared/jobs (plan, chunks, finalize, fail) on this machine. It
 * schedules: chunks on a worker-thread pool, with timeouts, retries and progress; records and
 * checkpoints are the flow's, in a FileStateStore under the output folder. A second run with the
 * same inputs and config skips the finished chunks and writes identical results.
 */
export async function runLocal(options: RunOptions): Promise<JobOutcome[]> {
  return (await runLocalBatch(options)).jobs;
}

/** A collection of the run: one per pipeline with `collect`, over the run's files of that pipeline. */
export interface CollectionOutcome {
  readonly pipeline: string;
  readonly collectionId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly report: CollectionReport;
  readonly reportPath: string;
  readonly resultsDir: string;
  /** It was combined by an earlier run (its _SUCCESS exists). */
  readonly skipped: boolean;
}

/** `runLocal`, and then the collections of the pipelines that declare `collect`. */
export async function runLocalBatch(options: RunOptions): Promise<{ jobs: JobOutcome[]; collections: CollectionOutcome[] }> {
  try {
    return await runAll(options);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A full or read-only output disk is one clear line, not a stack; checkpoints written so far stay valid.
    const path = (e as NodeJS.ErrnoException).path;
    const underOut = path === undefined || resolve(path).startsWith(resolve(options.out));
    if (underOut && (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS' || code === 'EDQUOT')) {
      throw new OutputError(`cannot write under ${options.out}: ${(e as Error).message}`, { cause: e });
    }
    throw e;
  }
}

async function runAll(options: RunOptions): Promise<{ jobs: JobOutcome[]; collections: CollectionOutcome[] }> {
  const releases: (() => Promise<void>)[] = [];
  try {
    return await runLocked(options, releases);
  } finally {
    await Promise.all(releases.map((release) => release()));
  }
}

async function runLocked(options: RunOptions, releases: (() => Promise<void>)[]): Promise<{ jobs: JobOutcome[]; collections: CollectionOutcome[] }> {
  const emit = options.onEvent ?? (() => undefined);
  await prepareOutputDir(options.out);
  const output = new FsObjectStore(options.out);
  const state = new FileStateStore(join(options.out, 'state'), (file, movedTo, reason) =>
    emit({ type: 'warning', message: `checkpoint ${file} is unreadable (${reason}); moved to ${movedTo} and the chunk will run again` }),
  );
  const warn = (message: string, extra?: Record<string, unknown>) => emit({ type: 'warning', message: `${message}${extra ? ` ${JSON.stringify(extra)}` : ''}` });
  const deps: LocalDeps = { objects: output, state, log: { info: () => undefined, warn, error: () => undefined }, events: noEvents };

  for (const file of options.files) {
    const s = await stat(file).catch(() => undefined);
    if (!s) throw new InputError(file, 0, 'file not found');
    if (!s.isFile()) throw new InputError(file, 0, 'not a regular file');
  }

  // Every file is planned and its header checked before any job's state is touched, so a bad file
  // leaves no other job marked as running.
  const planned: { file: string; root: string; pipeline: Pipeline; plan: JobPlan }[] = [];
  for (const file of options.files) {
    const { root, key } = inputLocation(file);
    const pipeline = selectPipeline(options.config, key, options.pipeline);
    const plan = await planJob(pipeline, key, { ...deps, input: new FsObjectStore(root) });
    if (planned.some((j) => j.plan.jobId === plan.jobId)) {
      emit({ type: 'warning', message: `${file} is given twice; it runs once (job ${plan.jobId})` });
      continue;
    }
    planned.push({ file, root, pipeline, plan });
  }

  const jobs: Job[] = [];
  for (const { file, root, pipeline, plan } of planned) {
    // Before touching its state: a second run of the same job stops here, leaving the first run's temp files alone.
    releases.push(await acquireJobLock(state.root, plan.jobId));
    const now = new Date().toISOString();
    const record: JobRecord = (await state.getJob(plan.jobId)) ?? {
      jobId: plan.jobId,
      pipeline: pipeline.name,
      input: plan.input,
      status: JobStatus.PLANNED,
      createdAt: now,
      updatedAt: now,
      chunks: plan.chunks.length,
      attempts: 0,
    };
    record.attempts++;
    record.inputRoot = root;
    record.status = JobStatus.RUNNING;
    record.updatedAt = now;
    record.startedAt = now;
    delete record.error;
    await state.putJob(record);
    if (options.force) await state.clearChunks(plan.jobId);
    for (const prefix of [layout.results(pipeline.name, plan.jobId), layout.rejects(pipeline.name, plan.jobId)]) await output.removeTemporaries(prefix);
    const job: Job = { file, pipeline, plan, inputRoot: root, done: await doneChunks(plan, deps) };
    await storePlan(plan, pipeline, deps);
    emit({ type: 'planned', file, plan, skipped: job.done.size });
    jobs.push(job);
  }

  const workers = Math.max(1, options.workers ?? availableParallelism());
  const { filename, execArgv } = workerFile();
  // A chunk streams, so a worker needs little heap; capped generations keep RSS flat whatever the file size.
  const pool = new Piscina<WorkerTask | ReduceWorkerTask | FinalizeTask, WorkerReply | ReduceReply | FinalizeReply>({ filename, execArgv, minThreads: Math.min(workers, 1), maxThreads: workers, idleTimeout: 1000, resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 16 } });
  // An error that is no chunk's fault (the state disk is full, say) stops every job. The run
  // throws only once no chunk is left running: Piscina would take tasks even after destroy().
  // Chunks already running finish (or time out) and clean up after themselves, so nothing is left half-written.
  const fatal = new AbortController();
  const running = slots(workers);
  const outcomes = await Promise.all(jobs.map((job) => runJob(job, pool, running, deps, options.out, emit, fatal, options.progressIntervalMs).catch((e: unknown) => void fatal.abort(e))));
  await pool.destroy();
  if (fatal.signal.aborted) throw fatal.signal.reason;
  const jobOutcomes = outcomes as JobOutcome[];
  return { jobs: jobOutcomes, collections: await runCollections(options, jobOutcomes, deps, releases, emit) };
}

/** The collect step for each pipeline of the run that declares it, over that pipeline's jobs, in the run's process. */
async function runCollections(options: RunOptions, jobs: readonly JobOutcome[], deps: LocalDeps, releases: (() => Promise<void>)[], emit: NonNullable<RunOptions['onEvent']>): Promise<CollectionOutcome[]> {
  const collections: CollectionOutcome[] = [];
  for (const pipeline of options.config.pipelines) {
    const members = jobs.filter((j) => j.pipeline === pipeline.name);
    if (!pipeline.collect || !members.length) continue;
    const collectionId = collectionIdFor(pipeline, members.map((m) => m.jobId));
    releases.push(await acquireJobLock(deps.state.root, collectionId));
    const done = await collectStep(pipeline, members.map((m) => ({ jobId: m.jobId, key: inputLocation(m.file).key, status: m.status, ...(m.error ? { error: m.error } : {}) })), deps);
    const outcome: CollectionOutcome = {
      pipeline: pipeline.name,
      collectionId,
      status: done.report.status,
      ...(done.report.failure ? { error: done.report.failure } : {}),
      report: done.report,
      reportPath: join(options.out, done.reportKey),
      resultsDir: join(options.out, collectionResults(pipeline.name, collectionId)),
      skipped: done.skipped,
    };
    emit({ type: 'collection', outcome });
    collections.push(outcome);
  }
  return collections;
}

/**
 * Runs a chunk, stopping its worker thread when it exceeds the timeout. The pool only ever gets
 * as many chunks as it has threads (see `slots`), so the clock measures running, not queueing.
 * A timeout or a crashed thread (out of memory, say) comes back as a retryable failure.
 */
async function runWithTimeout(pool: Pool, task: WorkerTask, seconds: number, onProgress: (progress: ChunkProgress) => void): Promise<WorkerReply> {
  const signal = AbortSignal.timeout(Math.round(seconds * 1000));
  // A channel per attempt, so its messages are this attempt's only. An open port with a
  // listener keeps the process alive, so it is closed however the run ends.
  const { port1, port2 } = new MessageChannel();
  let live = true;
  let listenerError: unknown;
  port1.on('message', (progress: ChunkProgress) => {
    if (!live || listenerError !== undefined) return;
    try {
      onProgress(progress);
    } catch (e) {
      // Thrown out of a message listener it would crash the process; it is rethrown once the run ends instead.
      listenerError = e;
    }
  });
  let reply: WorkerReply;
  try {
    reply = (await pool.run({ ...task, progress: port2, deadline: Date.now() + Math.round(seconds * 1000) }, { signal, transferList: [port2] })) as WorkerReply;
  } catch (e) {
    const message = signal.aborted ? `chunk ${task.chunk.index} of ${task.plan.input.key} timed out after ${seconds} s` : `worker thread failed on chunk ${task.chunk.index} of ${task.plan.input.key}: ${(e as Error).message}`;
    reply = { ok: false, error: { name: 'TransientError', message, retryable: true }, recorded: false };
  } finally {
    // Messages still queued when the reply lands are dropped: the chunk's result supersedes them.
    live = false;
    port1.close();
  }
  if (listenerError !== undefined) throw listenerError;
  return reply;
}

/** A counting semaphore: at most `size` holders at once. */
function slots(size: number) {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    async take(): Promise<void> {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    give(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

async function runJob(job: Job, pool: Pool, running: ReturnType<typeof slots>, deps: LocalDeps, out: string, emit: NonNullable<RunOptions['onEvent']>, fatal: AbortController, progressIntervalMs?: number): Promise<JobOutcome> {
  const { plan, pipeline } = job;
  const abort = new AbortController();
  const stop = AbortSignal.any([abort.signal, fatal.signal]);
  for (const index of [...job.done].sort((a, b) => a - b)) {
    const chunk = plan.chunks[index]!;
    const rows = (await deps.state.getChunk(plan.jobId, index))?.result?.stats.rowsIn ?? 0;
    emit({ type: 'chunk', jobId: plan.jobId, index, rows, bytes: chunk.end - chunk.start, skipped: true });
  }
  // A chunk that fails is recorded on its job; anything else thrown stops the run (see runAll).
  const scheduleChunk = async (chunk: JobPlan['chunks'][number]): Promise<void> => {
    const task: WorkerTask = { pipeline, plan, chunk, inputRoot: job.inputRoot, outputRoot: deps.objects.root, stateRoot: deps.state.root, progressIntervalMs };
    const onProgress = (p: ChunkProgress) => emit({ type: 'progress', jobId: plan.jobId, index: chunk.index, rows: p.rows, bytes: p.bytes });
    for (let attempt = 1; ; attempt++) {
      if (stop.aborted) return;
      await running.take();
      if (stop.aborted) {
        running.give();
        return;
      }
      let reply: WorkerReply;
      try {
        reply = await runWithTimeout(pool, task, pipeline.compute.timeoutSeconds, onProgress);
      } finally {
        running.give();
      }
      if (reply.ok) {
        job.done.add(chunk.index);
        emit({ type: 'chunk', jobId: plan.jobId, index: chunk.index, rows: reply.rowsIn, bytes: chunk.end - chunk.start, skipped: reply.skipped });
        return;
      }
      if ('fatal' in reply) throw Object.assign(new Error(reply.fatal.message), reply.fatal);
      if (!reply.recorded) {
        // A thread that died or timed out could not record its attempt; it may have finished the chunk first.
        const finished = finishedResult(plan, chunk, await deps.state.getChunk(plan.jobId, chunk.index));
        if (finished) {
          job.done.add(chunk.index);
          emit({ type: 'chunk', jobId: plan.jobId, index: chunk.index, rows: finished.stats.rowsIn, bytes: chunk.end - chunk.start, skipped: false });
          return;
        }
        await recordChunkFailure(plan, chunk, { name: reply.error.name, message: reply.error.message }, deps);
      }
      if (reply.error.retryable && attempt < pipeline.retry.maxAttempts) {
        const delayMs = backoffDelay(pipeline.retry, attempt);
        emit({ type: 'retry', jobId: plan.jobId, index: chunk.index, attempt, delayMs, error: reply.error });
        // An abort cuts the wait short; the loop then stops.
        await sleep(delayMs, undefined, { signal: stop }).catch(() => undefined);
        continue;
      }
      job.failure ??= reply.error;
      if (reply.error.name === JobFailedError.name) abort.abort();
      return;
    }
  };
  await Promise.all(
    plan.chunks
      .filter((c) => !job.done.has(c.index))
      .map((chunk) => scheduleChunk(chunk).catch((e: unknown) => fatal.abort(e))),
  );
  // Thrown here or by another job: this job's chunks are stopped, and it is not finalized.
  if (fatal.signal.aborted) throw fatal.signal.reason;

  const resultsDir = join(out, 'results', pipeline.name, plan.jobId);
  if (job.failure) {
    const failed = plan.chunks.filter((c) => !job.done.has(c.index)).length;
    const message = `${failed} of ${plan.chunks.length} chunk(s) failed; first: ${job.failure.name}: ${job.failure.message}`;
    await failJob(plan.jobId, pipeline.name, { name: job.failure.name, message }, deps);
    return { file: job.file, jobId: plan.jobId, pipeline: pipeline.name, status: 'FAILED', error: message, resultsDir };
  }
  // The second stage: each hash partition of the unique keys reduced on the pool, in parallel, as the chunks were.
  const reduced = await Promise.all(
    Array.from({ length: reducePartitionsOf(pipeline, plan) }, async (_, partition): Promise<ReduceReply | undefined> => {
      if (stop.aborted) return undefined;
      await running.take();
      try {
        if (stop.aborted) return undefined;
        return (await pool.run({ reduce: true, pipeline, plan, partition, outputRoot: deps.objects.root } satisfies ReduceWorkerTask)) as ReduceReply;
      } catch (e) {
        // A thread that died (out of memory, say) fails this job, not the run.
        return { ok: false, error: { name: (e as Error).name, message: `partition ${partition}: ${(e as Error).message}` } };
      } finally {
        running.give();
      }
    }),
  );
  if (fatal.signal.aborted) throw fatal.signal.reason;
  const unreduced = reduced.find((r) => r && !r.ok);
  if (unreduced && !unreduced.ok) {
    const message = `the unique check failed: ${unreduced.error.message}`;
    await failJob(plan.jobId, pipeline.name, { name: unreduced.error.name, message }, deps);
    return { file: job.file, jobId: plan.jobId, pipeline: pipeline.name, status: 'FAILED', error: message, resultsDir };
  }
  const done = (await pool.run({ finalize: true, pipeline, plan, outputRoot: deps.objects.root, stateRoot: deps.state.root } satisfies FinalizeTask)) as FinalizeReply;
  if (!done.ok) throw Object.assign(new Error(done.fatal.message), done.fatal);
  const { report, reportKey } = done;
  const reportPath = join(out, reportKey);
  emit({ type: 'job', file: job.file, report, reportPath });
  return { file: job.file, jobId: plan.jobId, pipeline: pipeline.name, status: report.status, ...(report.failure ? { error: report.failure } : {}), report, reportPath, resultsDir };
}
