import type { Pipeline } from '../config/schema.js';
import { ConfigError, InputError, isRetryable, JobFailedError, stepFunctionsName, TransientError } from '../errors.js';
import { readJobPlan, readJobPlanHead, readPendingPlan, readWindowScan, scanItemsKey, writeJobManifest, writePendingPlan, writeWindowScan } from '../plan/manifest.js';
import { chunkCountOf, completePlan, draftPlan, planChunks, scanPendingWindow, type ChunkRange, type JobPlan, type PlanDraft } from '../plan/plan.js';
import type { WindowScan } from '../plan/windows.js';
import { chunkFingerprint, processChunk, type ChunkDeps, type ChunkResult } from '../process/chunk.js';
import { layout } from '../process/layout.js';
import { bottleneckOf, processPeakRss, threadCpu, type ResourceRecord } from '../process/resources.js';
import { runExternalCommand } from './external.js';
import { compileRowProcessor } from '../process/row.js';
import { FinishedChunks, type FinalizeResult } from '../report/finalize.js';
import { reducePartition, uniqueRules, type ReducedPartition } from '../report/reduce.js';
import { reducePartitions } from '../rules/unique.js';
import { JobStatus, type ChunkRecord, type HistoryEntry, type JobRecord } from '../state/models.js';
import type { JobReport } from '../report/job-report.js';
import { failureSummary, reportSummary } from '../report/summary.js';
import { columnFigures } from '../report/anomaly.js';
import type { ExecutionInput } from './dispatch.js';
import type { CloudDeps, EventPublisher, JobDeps } from './ports.js';

/** One item of the Distributed Map: a chunk to run. */
export interface ChunkTask {
  readonly jobId: string;
  readonly pipeline: string;
  readonly index: number;
  readonly compute: 'lambda' | 'fargate';
  /** The chunk's byte range, as planned; absent in items written before (the step then reads the whole plan). */
  readonly start?: number;
  readonly end?: number;
}

export interface PlanOutput {
  readonly jobId: string;
  readonly pipeline: string;
  readonly manifestKey: string;
  readonly chunks: number;
  /** Chunks one work invocation takes (the Map's ItemBatcher): small chunks go together. */
  readonly batch: number;
  /** The reduce Map's items (one per hash partition), or none when the pipeline has no `unique` rule. */
  readonly reduceKey: string;
  readonly reducePartitions: number;
}

/** The Plan step's output when the boundary scan runs in windows first: the scan Map's items. */
export interface ScanOutput {
  readonly jobId: string;
  readonly pipeline: string;
  readonly scanKey: string;
  readonly windows: number;
}

/** One item of the scan Map: a window of the input to scan for record starts. */
export interface ScanTask {
  readonly jobId: string;
  readonly pipeline: string;
  readonly window: number;
}

/** One item of the reduce Map: a hash partition of the job's `unique` keys to check. */
export interface ReduceTask {
  readonly jobId: string;
  readonly pipeline: string;
  readonly partition: number;
}

/** What one work invocation is given: one chunk, or a batch of them from the Map's ItemBatcher. */
export type WorkInput = ChunkTask | { readonly Items: readonly ChunkTask[] };

/** The bytes one work invocation should take: a default chunk's. */
const BATCH_BYTES = 64 << 20;
const MAX_BATCH = 100;

/**
 * Chunks per work λ invocation: `compute.chunksPerInvocation`, or by default as many small chunks
 * as make up BATCH_BYTES (each invocation has a cost of its own, and so has each child execution),
 * at most 100; one for Fargate, whose task takes one chunk.
 */
export function chunksPerInvocation(pipeline: Pipeline, plan: JobPlan): number {
  if (pipeline.compute.type === 'fargate' || plan.chunks.length === 0) return 1;
  if (pipeline.compute.chunksPerInvocation !== 'auto') return pipeline.compute.chunksPerInvocation;
  const average = plan.chunks.reduce((n, c) => n + (c.end - c.start), 0) / plan.chunks.length;
  return Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_BYTES / Math.max(1, average))));
}

/** The chunks of a work input, in order. */
export function workItems(input: WorkInput): readonly ChunkTask[] {
  return 'Items' in input ? input.Items : [input];
}

/** Chunk results finalize reads at once. */
const FINALIZE_READS = 16;

const manifestKey = (jobId: string) => `${layout.manifests(jobId)}chunks.json`;
const reduceKey = (jobId: string) => `${layout.manifests(jobId)}reduce.json`;

export function pipelineNamed(deps: CloudDeps, name: string): Pipeline {
  const p = deps.config.pipelines.find((x) => x.name === name);
  if (!p) throw new ConfigError('pipelines', `no pipeline named "${name}" in the deployed config`);
  return p;
}

const loadPlan = (deps: CloudDeps, jobId: string): Promise<JobPlan> => readJobPlan(deps.objects, jobId);

// ---- The job flow. `sluice run` and the AWS steps both go through these; they only schedule and adapt.

/**
 * Plans a file on one machine: record-aligned chunks, and the header checked against the schema
 * once, here, not in every chunk. A quoted file is scanned in one pass: here one process reads it
 * all anyway, and its windows on two threads took longer (see the README).
 */
export async function planJob(pipeline: Pipeline, key: string, deps: Pick<JobDeps, 'objects' | 'input'>, version?: JobPlan['input']): Promise<JobPlan> {
  const plan = await planChunks(deps.input ?? deps.objects, key, pipeline, version, { windows: false });
  compileRowProcessor(pipeline, plan.header, 'pipeline', key);
  return plan;
}

/** The plan, or the windows still to scan for it (see planStep), with the header checked as planJob does. */
async function draftJob(pipeline: Pipeline, key: string, deps: Pick<JobDeps, 'objects' | 'input'>, version?: JobPlan['input']): Promise<PlanDraft> {
  const draft = await draftPlan(deps.input ?? deps.objects, key, pipeline, version);
  compileRowProcessor(pipeline, (draft.plan ?? draft.pending.plan).header, 'pipeline', key);
  return draft;
}

/** The job's plan, stored where every chunk and finalize read it. */
export function storePlan(plan: JobPlan, pipeline: Pipeline, deps: Pick<JobDeps, 'objects'>): Promise<void> {
  return writeJobManifest(deps.objects, plan, pipeline);
}

/** The chunks of a plan already done: a DONE record with this plan's fingerprint for the chunk. */
export async function doneChunks(plan: JobPlan, deps: Pick<JobDeps, 'state'>): Promise<Set<number>> {
  const records = new Map((await deps.state.listChunks(plan.jobId, { results: false })).map((c) => [c.index, c]));
  return new Set(plan.chunks.filter((c) => isDone(plan, c, records.get(c.index))).map((c) => c.index));
}

/** Whether a chunk's record is DONE for this plan (the same fingerprint). */
function isDone(plan: JobPlan, chunk: ChunkRange, record: ChunkRecord | undefined): boolean {
  return record?.status === 'DONE' && record.fingerprint === chunkFingerprint(plan, chunk);
}

/** The chunk's result when its record is DONE for this plan (the same fingerprint). */
export function finishedResult(plan: JobPlan, chunk: ChunkRange, record: ChunkRecord | undefined): ChunkResult | undefined {
  return isDone(plan, chunk, record) ? record!.result : undefined;
}

/** A chunk attempt's failure, on its chunk record (a finished result of the same chunk is kept). */
export async function recordChunkFailure(plan: JobPlan, chunk: ChunkRange, error: { name: string; message: string }, deps: Pick<JobDeps, 'state' | 'log'>): Promise<void> {
  const attempts = ((await deps.state.getChunk(plan.jobId, chunk.index).catch(() => undefined))?.attempts ?? 0) + 1;
  await deps.state
    .putChunk({ jobId: plan.jobId, index: chunk.index, status: 'FAILED', fingerprint: chunkFingerprint(plan, chunk), attempts, finishedAt: new Date().toISOString(), error })
    .catch((f: unknown) => deps.log.warn('could not record the chunk failure', { jobId: plan.jobId, chunk: chunk.index, error: (f as Error).message }));
}

/**
 * One attempt at a chunk: skipped when a DONE record with the same fingerprint exists (a redrive,
 * a resumed run), else processed and recorded DONE, or FAILED with the cause before the error is
 * rethrown. A retryable cause is recorded as transient, so the sweep may redrive the job.
 */
export async function runChunk(pipeline: Pipeline, plan: JobPlan, chunk: ChunkRange, deps: JobDeps, options: Pick<ChunkDeps, 'onProgress' | 'progressIntervalMs'> & { readonly deadline?: number } = {}): Promise<{ stats: ChunkResult['stats']; skipped: boolean; resources?: ChunkResult['resources'] }> {
  const done = await deps.state.getChunk(plan.jobId, chunk.index);
  const finished = finishedResult(plan, chunk, done);
  if (finished) return { stats: finished.stats, skipped: true };
  const attempts = (done?.attempts ?? 0) + 1;
  let result: ChunkResult;
  // When the attempt's time is up (epoch ms): the scheduler's clock where it has one, else compute.timeoutSeconds from now.
  const deadline = options.deadline ?? Date.now() + pipeline.compute.timeoutSeconds * 1000;
  const started = performance.now();
  const cpu = threadCpu();
  try {
    result = await processChunk(pipeline, plan, chunk, { input: deps.input ?? deps.objects, output: deps.objects, onProgress: options.onProgress, progressIntervalMs: options.progressIntervalMs });
    // The external program runs before the chunk counts as done, so a resume never skips it.
    const processed = performance.now();
    const used = threadCpu();
    const external = pipeline.compute.command ? await runExternal(pipeline, plan, chunk, result, deps, deadline) : undefined;
    // The chunk's own work on its own thread; an external program's time is in a record of its own.
    const measured = { wallMs: processed - started, cpuUserMs: used.user - cpu.user, cpuSystemMs: used.system - cpu.system, ...(used.wait !== undefined && cpu.wait !== undefined ? { cpuWaitMs: used.wait - cpu.wait } : {}), peakRssBytes: processPeakRss(), bytesRead: chunk.end - chunk.start, bytesWritten: result.bytesWritten ?? 0 };
    const own = { ...measured, retries: attempts - 1, bottleneck: bottleneckOf(measured) };
    result = { ...result, resources: { chunk: own, ...(external ? { external: { ...external, retries: attempts - 1 } } : {}) } };
  } catch (e) {
    // Named as Step Functions would see it: a Distributed Map or an ECS task reports only its own error.
    await recordChunkFailure(plan, chunk, { name: isRetryable(e) ? `Sluice.${TransientError.name}` : stepFunctionsName(e), message: e instanceof Error ? e.message : String(e) }, deps);
    throw e;
  }
  const finishedAt = new Date().toISOString();
  await deps.state.putChunk({ jobId: plan.jobId, index: chunk.index, status: 'DONE', fingerprint: result.fingerprint, attempts, finishedAt, result });
  // Best effort: a missed heartbeat at worst lets the sweep redrive a job that was still running.
  await deps.state.touchJob(plan.jobId, finishedAt).catch((f: unknown) => deps.log.warn('could not refresh the job', { jobId: plan.jobId, error: (f as Error).message }));
  const s = result.stats;
  deps.log.info('chunk done', { jobId: plan.jobId, chunk: chunk.index, rowsIn: s.rowsIn, rowsOut: s.rowsOut, rowsRejected: s.rowsRejected, durationMs: Math.round(s.durationMs) });
  return { stats: s, skipped: false, resources: result.resources };
}

/** A caller that runs programs passes the env loader's childEnvironment; running one without it is our bug. */
const missingEnvironment = (): never => {
  throw new Error('compute.command: the job deps carry no childEnvironment (see shared/env.ts)');
};

/** Time kept back from the attempt's deadline for killing the program and cleaning up. */
const EXTERNAL_MARGIN_MS = 250;

/** `compute.command` on a chunk's validated output, locally as in the Fargate task; what it writes goes under the job's results. */
async function runExternal(pipeline: Pipeline, plan: JobPlan, chunk: ChunkRange, result: ChunkResult, deps: JobDeps, deadline: number): Promise<ResourceRecord> {
  const name = layout.part(chunk.index);
  const { written, resources } = await runExternalCommand(
    {
      command: pipeline.compute.command!,
      parts: result.parts,
      partitioned: pipeline.output.partitionBy.length > 0,
      emptyInputName: `${name}.${pipeline.output.format}`,
      resultsPrefix: layout.results(pipeline.name, plan.jobId),
      name,
      configPath: `pipelines[${pipeline.name}].compute.command`,
      environment: deps.childEnvironment ?? missingEnvironment,
      retryExitCodes: pipeline.compute.retryExitCodes,
      // A little before the scheduler stops the attempt, so the program is never left running.
      timeoutMs: deadline - Date.now() - EXTERNAL_MARGIN_MS,
    },
    deps.objects,
  );
  deps.log.info('external command done', { jobId: plan.jobId, chunk: chunk.index, written: written.length, ...resources });
  return resources;
}

/**
 * The reduce partitions a job's `unique` rules are checked in: each can run on its own once every
 * chunk is done, in parallel, before finalize (none without a `unique` rule).
 */
export function reducePartitionsOf(pipeline: Pipeline, plan: JobPlan & { readonly chunkCount?: number }): number {
  return uniqueRules(pipeline).length ? reducePartitions(plan.input.size) : 0;
}

/** Checks one hash partition of a job's `unique` keys over every chunk's key run, for finalize to sum. Safe to run twice. */
export async function reduceJob(pipeline: Pipeline, plan: JobPlan & { readonly chunkCount?: number }, partition: number, deps: Pick<JobDeps, 'objects' | 'log'>, windowsBudget?: number): Promise<{ rules: ReducedPartition[]; keys: number; duplicates: number }> {
  const rules = await reducePartition(pipeline, { jobId: plan.jobId, chunks: chunkCountOf(plan), inputBytes: plan.input.size }, partition, deps.objects, { ...(windowsBudget ? { windowsBudget } : {}) });
  const totals = { keys: rules.reduce((n, r) => n + r.keys, 0), duplicates: rules.reduce((n, r) => n + r.duplicates, 0) };
  deps.log.info('partition reduced', { jobId: plan.jobId, partition, ...totals });
  return { rules, ...totals };
}

/**
 * Finalizes a job whose chunks are all done: their results read from the chunk records a few at
 * a time and folded as they arrive (a job of thousands of chunks fits the λ's memory and its
 * timeout), then dataset rules, gate, reports, `_SUCCESS`, the JOB record and the event. Safe to run twice.
 */
export async function finishJob(pipeline: Pipeline, plan: JobPlan, deps: JobDeps & { events: EventPublisher }): Promise<FinalizeResult & { job: JobRecord | undefined }> {
  const done = await doneChunks(plan, deps);
  const missing = plan.chunks.length - done.size;
  if (missing) throw new JobFailedError(`${missing} of ${plan.chunks.length} chunk(s) of ${plan.input.key} did not finish`);
  const finished = new FinishedChunks();
  for (let i = 0; i < plan.chunks.length; i += FINALIZE_READS) {
    const batch = plan.chunks.slice(i, i + FINALIZE_READS);
    for (const [k, record] of (await Promise.all(batch.map((c) => deps.state.getChunk(plan.jobId, c.index)))).entries()) {
      if (!record?.result) throw new JobFailedError(`chunk ${batch[k]!.index} of ${plan.input.key} has no stored result`);
      finished.add(record.result);
    }
  }
  const job = await deps.state.getJob(plan.jobId);
  // Anomaly rules hold this job against the pipeline's last succeeded runs (this one, finalized before, left out).
  const windows = pipeline.rules.dataset.flatMap((r) => (r.type === 'anomaly' ? [r.window] : []));
  const history = windows.length ? await deps.state.history(pipeline.name, { last: Math.max(...windows) + 1, succeeded: true }) : undefined;
  const result = await finished.finalize(pipeline, plan, deps.objects, job?.startedAt ?? job?.createdAt ?? new Date().toISOString(), history);
  const { report, reportKey, successKey } = result;
  const updated: JobRecord | undefined = job && {
    ...job,
    status: report.status,
    updatedAt: new Date().toISOString(),
    reportKey,
    ...(successKey ? { successKey } : {}),
    ...(report.failure ? { error: { name: 'JobFailedError', message: report.failure } } : {}),
  };
  if (updated) await deps.state.putJob(updated);
  // Best effort: the job is done whether or not its history line lands.
  await deps.state.appendHistory(historyEntry(report, job?.createdAt)).catch((f: unknown) => deps.log.warn('could not add the job to its history', { jobId: plan.jobId, error: (f as Error).message }));
  const detail = { jobId: plan.jobId, pipeline: pipeline.name, key: plan.input.key, status: report.status, ...report.accounting, reportKey, ...(report.failure ? { failure: report.failure } : {}) };
  await deps.events.publish(report.status === 'SUCCEEDED' ? 'JobSucceeded' : 'JobFailed', detail);
  // Best effort, like the history: the job is done whether or not its e-mail goes out.
  if (deps.summaries) await deps.summaries.send(reportSummary(report, deps.summaries.reportLink(`${layout.reports(pipeline.name, plan.jobId)}report.html`))).catch((f: unknown) => deps.log.warn('could not send the job summary', { jobId: plan.jobId, error: (f as Error).message }));
  deps.log.info('finalized', detail);
  return { ...result, job: updated };
}

/** A finished job's line in its pipeline's history: counts, ratios and per-column figures from its report. */
export function historyEntry(report: JobReport, createdAt: string | undefined): HistoryEntry {
  const a = report.accounting;
  return {
    jobId: report.jobId,
    pipeline: report.pipeline,
    status: report.status,
    createdAt: createdAt ?? report.startedAt,
    finishedAt: report.finishedAt,
    input: { key: report.input.key, size: report.input.size },
    // report.startedAt is this attempt's start (the job record's startedAt, or its creation).
    durationMs: Math.max(0, Date.parse(report.finishedAt) - Date.parse(report.startedAt)) || 0,
    rowsIn: a.rowsIn,
    rowsOut: a.rowsOut,
    rowsRejected: a.rowsRejected,
    rowsFiltered: a.rowsFiltered,
    rejectRatio: report.rejectRatio,
    // Long text bounds cut, so a wide table's entry stays far under DynamoDB's 400 KB an item.
    columns: columnFigures(report.columns).map((c) => ({ ...c, min: cut(c.min), max: cut(c.max) })),
  };
}

const HISTORY_TEXT = 200;
const cut = (v: string | null) => (v !== null && v.length > HISTORY_TEXT ? `${v.slice(0, HISTORY_TEXT)}…` : v);

/** Fails a job: its JOB record FAILED with the cause, and a JobFailed event. */
export async function failJob(jobId: string, pipeline: string, cause: { name: string; message: string }, deps: JobDeps & { events: EventPublisher }): Promise<void> {
  const job = await deps.state.getJob(jobId);
  if (job) await deps.state.putJob({ ...job, status: JobStatus.FAILED, updatedAt: new Date().toISOString(), error: cause });
  await deps.events.publish('JobFailed', { jobId, pipeline, key: job?.input.key, error: cause.name, message: cause.message });
  if (deps.summaries) await deps.summaries.send(failureSummary({ jobId, pipeline, key: job?.input.key }, cause)).catch((f: unknown) => deps.log.warn('could not send the job summary', { jobId, error: (f as Error).message }));
  deps.log.error('job failed', { jobId, error: cause.name, cause: cause.message });
}

// ---- The AWS steps: each adapts its Step Functions input to the flow above.

/**
 * Plan step: record-aligned chunks, written as the JSON manifest the Distributed Map reads. A
 * quoted file of several scan windows is planned in two calls: the first writes the windows for
 * the scan Map (scanStep) and returns them; the second (`scanned`) resolves their scans.
 */
export async function planStep(input: ExecutionInput & { readonly scanned?: boolean }, deps: CloudDeps): Promise<PlanOutput | ScanOutput> {
  const pipeline = pipelineNamed(deps, input.pipeline);
  const store = deps.input ?? deps.objects;
  let plan: JobPlan;
  if (input.scanned) {
    const pending = await readPendingPlan(deps.objects, input.jobId);
    // The scans in order, 32 read ahead: resolving holds only the one before.
    const reads = new Map<number, Promise<WindowScan>>();
    const read = (w: number) => reads.get(w) ?? reads.set(w, readWindowScan(deps.objects, input.jobId, w)).get(w)!;
    plan = await completePlan(store, pending, (w) => {
      for (let ahead = w; ahead < Math.min(pending.windows.length, w + 32); ahead++) void read(ahead).catch(() => undefined);
      const scan = read(w);
      reads.delete(w);
      return scan;
    });
  } else {
    // Plan the version dispatch recorded: in a versioned bucket a later overwrite (its own job) does
    // not matter; in an unversioned one the read of the changed object fails as an InputError.
    const recorded = (await deps.state.getJob(input.jobId))?.input;
    const draft = await draftJob(pipeline, input.key, deps, recorded);
    const jobId = (draft.plan ?? draft.pending.plan).jobId;
    if (jobId !== input.jobId) {
      // No recorded version and the object changed since the event: this execution's job no longer describes it.
      throw new InputError(input.key, 0, `object changed since the event (job ${input.jobId}, now ${jobId}); the new version has its own job`);
    }
    if (draft.pending) {
      const windows = draft.pending.windows.length;
      await writePendingPlan(deps.objects, draft.pending);
      await deps.objects.put(scanItemsKey(jobId), JSON.stringify(Array.from({ length: windows }, (_, window): ScanTask => ({ jobId, pipeline: pipeline.name, window }))));
      deps.log.info('scanning for boundaries', { jobId, windows });
      return { jobId, pipeline: pipeline.name, scanKey: scanItemsKey(jobId), windows };
    }
    plan = draft.plan;
  }
  const items: ChunkTask[] = plan.chunks.map((c) => ({ jobId: plan.jobId, pipeline: pipeline.name, index: c.index, compute: pipeline.compute.type, start: c.start, end: c.end }));
  await storePlan(plan, pipeline, deps);
  await deps.objects.put(manifestKey(plan.jobId), JSON.stringify(items));
  const partitions = reducePartitionsOf(pipeline, plan);
  const reduceItems: ReduceTask[] = Array.from({ length: partitions }, (_, partition) => ({ jobId: plan.jobId, pipeline: pipeline.name, partition }));
  await deps.objects.put(reduceKey(plan.jobId), JSON.stringify(reduceItems));
  // Read again: planning can take a while, and the sweep may have updated the item meanwhile.
  const job = await deps.state.getJob(plan.jobId);
  const at = new Date().toISOString();
  if (job) await deps.state.putJob({ ...job, status: JobStatus.RUNNING, chunks: plan.chunks.length, updatedAt: at, startedAt: at });
  deps.log.info('planned', { jobId: plan.jobId, chunks: plan.chunks.length, method: plan.method });
  return { jobId: plan.jobId, pipeline: pipeline.name, manifestKey: manifestKey(plan.jobId), chunks: plan.chunks.length, batch: chunksPerInvocation(pipeline, plan), reduceKey: reduceKey(plan.jobId), reducePartitions: partitions };
}

/** Scan step: one window of a pending plan, its record starts written for the second plan call. */
export async function scanStep(task: ScanTask, deps: CloudDeps): Promise<{ jobId: string; window: number; starts: number }> {
  const pending = await readPendingPlan(deps.objects, task.jobId);
  const scan = await scanPendingWindow(deps.input ?? deps.objects, pending, task.window);
  await writeWindowScan(deps.objects, task.jobId, scan);
  return { jobId: task.jobId, window: task.window, starts: scan.starts.length };
}


/**
 * The plan and the chunk a task names. A task that carries its range reads only the plan's head,
 * and its range counts only if the plan could have made it: inside the file, after the header,
 * its index one of the plan's.
 */
async function taskChunk(task: ChunkTask, deps: CloudDeps): Promise<{ plan: JobPlan; chunk: ChunkRange }> {
  if (task.start === undefined || task.end === undefined) {
    const plan = await loadPlan(deps, task.jobId);
    const chunk = plan.chunks[task.index];
    if (!chunk) throw new InputError(plan.input.key, 0, `no chunk ${task.index} in the plan`);
    return { plan, chunk };
  }
  const plan = await readJobPlanHead(deps.objects, task.jobId);
  const { start, end, index } = task;
  const first = plan.compression === 'none' ? plan.dataStart : 0;
  if (![start, end, index].every(Number.isInteger) || index < 0 || index >= plan.chunkCount || start < first || end < start || end > plan.input.size) {
    throw new InputError(plan.input.key, 0, `chunk ${index} of the Map's items (bytes ${start}-${end}) is not a range of the plan (${plan.chunkCount} chunks, data from byte ${first} of ${plan.input.size})`);
  }
  return { plan, chunk: { index, start, end } };
}

/** Work step: one chunk of the Map's items; a chunk already done with the same fingerprint is skipped (redrive). */
export async function workStep(task: ChunkTask, deps: CloudDeps): Promise<{ index: number; rowsIn: number; rowsOut: number; rowsRejected: number; bytes: number; skipped: boolean; resources?: ChunkResult['resources'] }> {
  const pipeline = pipelineNamed(deps, task.pipeline);
  const { plan, chunk } = await taskChunk(task, deps);
  const { stats: s, skipped, resources } = await runChunk(pipeline, plan, chunk, deps);
  return { index: task.index, rowsIn: s.rowsIn, rowsOut: s.rowsOut, rowsRejected: s.rowsRejected, bytes: s.bytes, skipped, ...(resources ? { resources } : {}) };
}

/**
 * Read windows of the reduce λ (1,024 MB), all runs together: a quarter of its memory, so each
 * S3 read takes more of a run (at 14,901 runs, windows of 9 KB instead of 4 KB). Locally a
 * worker keeps the default 16 MiB.
 */
const REDUCE_WINDOWS = 256 * 2 ** 20;

/** Reduce step: one item of the reduce Map, a hash partition; reads only the plan's head. */
export async function reduceStep(task: ReduceTask, deps: CloudDeps) {
  const pipeline = pipelineNamed(deps, task.pipeline);
  const plan = await readJobPlanHead(deps.objects, task.jobId);
  const { keys, duplicates } = await reduceJob(pipeline, plan, task.partition, deps, REDUCE_WINDOWS);
  return { jobId: task.jobId, partition: task.partition, keys, duplicates };
}

/** Finalize step. */
export async function finalizeStep(input: { jobId: string; pipeline: string }, deps: CloudDeps & { events: EventPublisher }) {
  const pipeline = pipelineNamed(deps, input.pipeline);
  const plan = await loadPlan(deps, input.jobId);
  const { report, reportKey, successKey, job } = await finishJob(pipeline, plan, deps);
  const durationMs = job ? Date.now() - Date.parse(job.createdAt) : 0;
  return { jobId: plan.jobId, status: report.status, reportKey, successKey: successKey ?? null, durationMs, ...report.accounting };
}

/** Fail step (the state machine's catch-all): the cause from the Step Functions error, or from the chunk records it hides. */
export async function failStep(input: { jobId: string; pipeline: string; error?: { Error?: string; Cause?: string } }, deps: CloudDeps & { events: EventPublisher }) {
  const job = await deps.state.getJob(input.jobId);
  const { name, message } = await failureCause(input.error, job?.chunks ?? 0, () => deps.state.listChunks(input.jobId, { results: false }));
  await failJob(input.jobId, input.pipeline, { name, message }, deps);
  return { jobId: input.jobId, status: 'FAILED', error: name, message };
}

/** Errors that hide a chunk's own error: a failed Distributed Map, a failed ECS task. */
const OPAQUE_FAILURES = new Set(['States.ExceedToleratedFailureThreshold', 'States.TaskFailed']);

/**
 * The error a failed job records. When the Map or an ECS task reports only its own failure, the
 * chunk items tell: the latest FAILED chunk's error; or, when chunks are missing and none left an
 * error, a worker that stopped without a word (killed, out of memory, timed out, or failed before
 * its chunk started), counted as transient so the sweep redrives it, at most its max attempts.
 */
async function failureCause(error: { Error?: string; Cause?: string } | undefined, planned: number, listChunks: () => Promise<ChunkRecord[]>): Promise<{ name: string; message: string }> {
  const name = error?.Error ?? 'Error';
  const message = causeMessage(error?.Cause) ?? name;
  if (!OPAQUE_FAILURES.has(name) || planned === 0) return { name, message };
  const chunks = await listChunks().catch(() => undefined);
  if (!chunks) return { name, message };
  const failed = chunks.filter((c) => c.status === 'FAILED' && c.error).sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1))[0];
  if (failed?.error) return { name: failed.error.name, message: `chunk ${failed.index}: ${failed.error.message} (${name})` };
  const done = new Set(chunks.filter((c) => c.status === 'DONE').map((c) => c.index));
  const missing = Array.from({ length: planned }, (_, i) => i).filter((i) => !done.has(i));
  // Every chunk done and a Map failed: the reduce Map, whose partitions leave no record. Counted
  // as transient, so the sweep reruns the job (its chunks are skipped), at most its max attempts.
  if (missing.length === 0) return { name: `Sluice.${TransientError.name}`, message: `every chunk finished, then the unique-key reduce failed: ${message} (${name}; see the Reduce λ's log)` };
  return {
    name: `Sluice.${TransientError.name}`,
    message: `${missing.length} of ${planned} chunk(s) did not finish (first: chunk ${missing[0]}) and none left an error: its worker stopped without a word (killed, out of memory, timed out, or failed before the chunk started; see the worker's log) (${name}: ${message})`,
  };
}

/** Lambda puts `{"errorMessage": …}` JSON in Cause; ECS puts text. */
function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
