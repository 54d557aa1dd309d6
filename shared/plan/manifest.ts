import type { Pipeline } from '../config/schema.js';
import { InputError } from '../errors.js';
import { layout } from '../process/layout.js';
import type { ObjectStore } from '../store/object-store.js';
import type { JobPlan, PendingPlan } from './plan.js';
import type { WindowScan } from './windows.js';

const planKey = (jobId: string) => `${layout.manifests(jobId)}plan.json`;
const planHeadKey = (jobId: string) => `${layout.manifests(jobId)}plan-head.json`;
const pipelineKey = (jobId: string) => `${layout.manifests(jobId)}pipeline.json`;
const pendingKey = (jobId: string) => `${layout.manifests(jobId)}scan/pending.json`;
/** The scan Map's items: one per window. */
export const scanItemsKey = (jobId: string) => `${layout.manifests(jobId)}scan/windows.json`;
const windowScanKey = (jobId: string, window: number) => `${layout.manifests(jobId)}scan/window-${String(window).padStart(5, '0')}.json`;

/** Stores a job's plan and the pipeline it ran with, so any later step (or `sluice verify`) can rebuild the job. */
export async function writeJobManifest(store: ObjectStore, plan: JobPlan, pipeline: Pipeline): Promise<void> {
  await store.put(planKey(plan.jobId), JSON.stringify(plan));
  await store.put(planHeadKey(plan.jobId), JSON.stringify({ ...plan, chunks: [], chunkCount: plan.chunks.length }));
  await store.put(pipelineKey(plan.jobId), JSON.stringify(pipeline));
}

export async function readJobPlan(store: ObjectStore, jobId: string): Promise<JobPlan> {
  const body = await store.get(planKey(jobId));
  if (!body) throw new InputError(planKey(jobId), 0, 'plan not found: was the job planned?');
  return JSON.parse(body.toString('utf8')) as JobPlan;
}

/**
 * The plan without its chunk list, for a step that is told its chunk's range: a job of 16,000
 * chunks has a plan of about 1 MB, which every chunk would otherwise read and parse. Plans
 * written before the head existed are read whole.
 */
export async function readJobPlanHead(store: ObjectStore, jobId: string): Promise<JobPlan & { chunkCount: number }> {
  const body = await store.get(planHeadKey(jobId));
  if (body) return JSON.parse(body.toString('utf8')) as JobPlan & { chunkCount: number };
  const plan = await readJobPlan(store, jobId);
  return { ...plan, chunkCount: plan.chunks.length };
}

export async function readJobPipeline(store: ObjectStore, jobId: string): Promise<Pipeline> {
  const body = await store.get(pipelineKey(jobId));
  if (!body) throw new InputError(pipelineKey(jobId), 0, 'pipeline not found: was the job planned?');
  return JSON.parse(body.toString('utf8')) as Pipeline;
}

/** A plan whose boundary scan runs in windows (see draftPlan), for the scan Map and the call that resolves it. */
export function writePendingPlan(store: ObjectStore, pending: PendingPlan): Promise<void> {
  return store.put(pendingKey(pending.plan.jobId), JSON.stringify(pending));
}

export async function readPendingPlan(store: ObjectStore, jobId: string): Promise<PendingPlan> {
  const body = await store.get(pendingKey(jobId));
  if (!body) throw new InputError(pendingKey(jobId), 0, 'pending plan not found: was the job planned?');
  return JSON.parse(body.toString('utf8')) as PendingPlan;
}

/** A window's scan, its record starts stored as differences, which take a few digits each. */
export function writeWindowScan(store: ObjectStore, jobId: string, scan: WindowScan): Promise<void> {
  const deltas = scan.starts.map((s, i) => s - (i === 0 ? scan.from : scan.starts[i - 1]!));
  return store.put(windowScanKey(jobId, scan.index), JSON.stringify({ index: scan.index, from: scan.from, deltas }));
}

export async function readWindowScan(store: ObjectStore, jobId: string, window: number): Promise<WindowScan> {
  const body = await store.get(windowScanKey(jobId, window));
  if (!body) throw new InputError(windowScanKey(jobId, window), 0, 'window scan not found: did the scan Map run?');
  const packed = JSON.parse(body.toString('utf8')) as { index: number; from: number; deltas: number[] };
  const starts: number[] = [];
  let at = packed.from;
  for (const d of packed.deltas) starts.push((at += d));
  return { index: packed.index, from: packed.from, starts };
}
