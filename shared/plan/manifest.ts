import type { Pipeline } from '../config/schema.js';
import { InputError } from '../errors.js';
import { layout } from '../process/layout.js';
import type { ObjectStore } from '../store/object-store.js';
import type { JobPlan } from './plan.js';

const planKey = (jobId: string) => `${layout.manifests(jobId)}plan.json`;
const planHeadKey = (jobId: string) => `${layout.manifests(jobId)}plan-head.json`;
const pipelineKey = (jobId: string) => `${layout.manifests(jobId)}pipeline.json`;

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
