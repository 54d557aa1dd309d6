import type { Pipeline } from '../config/schema.js';
import { InputError } from '../errors.js';
import { layout } from '../process/layout.js';
import type { ObjectStore } from '../store/object-store.js';
import type { JobPlan } from './plan.js';

const planKey = (jobId: string) => `${layout.manifests(jobId)}plan.json`;
const pipelineKey = (jobId: string) => `${layout.manifests(jobId)}pipeline.json`;

/** Stores a job's plan and the pipeline it ran with, so any later step (or `sluice verify`) can rebuild the job. */
export async function writeJobManifest(store: ObjectStore, plan: JobPlan, pipeline: Pipeline): Promise<void> {
  await store.put(planKey(plan.jobId), JSON.stringify(plan));
  await store.put(pipelineKey(plan.jobId), JSON.stringify(pipeline));
}

export async function readJobPlan(store: ObjectStore, jobId: string): Promise<JobPlan> {
  const body = await store.get(planKey(jobId));
  if (!body) throw new InputError(planKey(jobId), 0, 'plan not found: was the job planned?');
  return JSON.parse(body.toString('utf8')) as JobPlan;
}

export async function readJobPipeline(store: ObjectStore, jobId: string): Promise<Pipeline> {
  const body = await store.get(pipelineKey(jobId));
  if (!body) throw new InputError(pipelineKey(jobId), 0, 'pipeline not found: was the job planned?');
  return JSON.parse(body.toString('utf8')) as Pipeline;
}
