// Fargate entry: the same chunk step as the work λ; with `compute.command` that step also runs the
// external program on the chunk's validated output and uploads what it writes.
import { z } from 'zod';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { cloudContext } from '../../shared/aws/context.js';
import { loadLambdaEnv } from '../../shared/aws/env.js';
import { addResourceMetrics } from '../../shared/aws/metrics.js';
import { withRetries } from '../../shared/process/retry.js';
import { pipelineNamed, workStep, type ChunkTask } from '../../shared/jobs/steps.js';

const ChunkTaskSchema = z.object({ jobId: z.string(), pipeline: z.string(), index: z.number().int().nonnegative(), compute: z.enum(['lambda', 'fargate']), start: z.number().int().nonnegative().optional(), end: z.number().int().positive().optional() });
const WorkInputSchema = z.union([z.object({ Items: z.array(ChunkTaskSchema).length(1) }), ChunkTaskSchema]);

export async function main(): Promise<void> {
  const logger = new Logger({ serviceName: 'sluice-task' });
  // Embedded metric format on stdout: the awslogs driver sends it to CloudWatch, which extracts the metrics.
  const metrics = new Metrics({ namespace: 'Sluice', serviceName: 'sluice-task' });
  try {
    await runTask(logger, metrics);
  } catch (e) {
    metrics.addMetric('WorkerErrors', MetricUnit.Count, 1);
    throw e;
  } finally {
    metrics.publishStoredMetrics();
  }
}

async function runTask(logger: Logger, metrics: Metrics): Promise<void> {
  const started = Date.now();
  const log = { info: (m: string, e?: Record<string, unknown>) => logger.info(m, e ?? {}), warn: (m: string, e?: Record<string, unknown>) => logger.warn(m, e ?? {}), error: (m: string, e?: Record<string, unknown>) => logger.error(m, e ?? {}) };
  const env = loadLambdaEnv();
  const context = cloudContext(env, log);
  // The Map hands Fargate a batch of one (its ItemBatcher runs for every route).
  const input = WorkInputSchema.parse(JSON.parse(env.CHUNK_TASK ?? '{}'));
  const task: ChunkTask = 'Items' in input ? input.Items[0]! : input;
  logger.appendKeys({ jobId: task.jobId, pipeline: task.pipeline, chunk: task.index });
  const pipeline = pipelineNamed(context, task.pipeline);
  // An ECS task ends with only an exit code, which the state machine cannot tell from a permanent
  // failure, so transient ones are retried here.
  const result = await withRetries(pipeline.retry, () => workStep(task, context), (attempt, delayMs, e) => log.warn('retrying chunk', { attempt, delayMs, error: `${e.name}: ${e.message}` }));
  metrics.addMetric('RowsIn', MetricUnit.Count, result.rowsIn);
  metrics.addMetric('RowsOut', MetricUnit.Count, result.rowsOut);
  metrics.addMetric('RowsRejected', MetricUnit.Count, result.rowsRejected);
  metrics.addMetric('Bytes', MetricUnit.Bytes, result.bytes);
  // With compute.command this includes the program, which the chunk's step ran on its rows.
  metrics.addMetric('ChunkDuration', MetricUnit.Milliseconds, Date.now() - started);
  addResourceMetrics(metrics, result.resources);
}

// The container's entry point: CHUNK_TASK comes from the state machine's container override.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e: unknown) => {
    console.error(`${(e as Error).name}: ${(e as Error).message}`);
    process.exit(1);
  });
}
