// Fargate entry: the same chunk processor as the work λ; with `compute.command`, the external
// program then runs on the chunk's validated output and what it writes is uploaded.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Logger } from '@aws-lambda-powertools/logger';
import { cloudContext } from '../../shared/aws/context.js';
import { childEnvironment, loadLambdaEnv } from '../../shared/aws/env.js';
import { InputError } from '../../shared/errors.js';
import { withRetries } from '../../shared/process/retry.js';
import { layout } from '../../shared/process/layout.js';
import { pipelineNamed, workStep, type ChunkTask } from '../../shared/jobs/steps.js';

const ChunkTaskSchema = z.object({ jobId: z.string(), pipeline: z.string(), index: z.number().int().nonnegative(), compute: z.enum(['lambda', 'fargate']) });

/** Runs `command` with SLUICE_INPUT (the chunk's results) and SLUICE_OUTPUT_DIR set; exit 0 or a clear error. */
async function runExternal(command: readonly string[], input: string, outputDir: string): Promise<void> {
  const [program, ...args] = command;
  const child = spawn(program!, args, { stdio: 'inherit', env: childEnvironment({ SLUICE_INPUT: input, SLUICE_OUTPUT_DIR: outputDir }) });
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
  if (code !== 0) throw new InputError(input, 0, `external command ${command.join(' ')} exited with ${code}`);
}

export async function main(): Promise<void> {
  const logger = new Logger({ serviceName: 'sluice-task' });
  const log = { info: (m: string, e?: Record<string, unknown>) => logger.info(m, e ?? {}), warn: (m: string, e?: Record<string, unknown>) => logger.warn(m, e ?? {}), error: (m: string, e?: Record<string, unknown>) => logger.error(m, e ?? {}) };
  const env = loadLambdaEnv();
  const context = cloudContext(env, log);
  const task: ChunkTask = ChunkTaskSchema.parse(JSON.parse(env.CHUNK_TASK ?? '{}'));
  logger.appendKeys({ jobId: task.jobId, pipeline: task.pipeline, chunk: task.index });
  const pipeline = pipelineNamed(context, task.pipeline);
  // An ECS task ends with only an exit code, which the state machine cannot tell from a permanent
  // failure, so transient ones are retried here.
  const result = await withRetries(pipeline.retry, () => workStep(task, context), (attempt, delayMs, e) => log.warn('retrying chunk', { attempt, delayMs, error: `${e.name}: ${e.message}` }));
  if (!pipeline.compute.command) return;
  const work = await mkdtemp(join(tmpdir(), 'sluice-'));
  try {
    const prefix = layout.results(pipeline.name, task.jobId);
    const part = `${prefix}${layout.part(task.index)}.${pipeline.output.format}`;
    const body = await context.objects.get(part);
    const input = join(work, `input.${pipeline.output.format}`);
    await writeFile(input, body ?? '');
    const out = join(work, 'out');
    await runExternal(pipeline.compute.command, input, out);
    for (const name of await readdir(out).catch(() => [] as string[])) {
      await context.objects.put(`${prefix}external/${layout.part(task.index)}/${name}`, await readFile(join(out, name)));
    }
    log.info('external command done', { rowsIn: result.rowsIn });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// The container's entry point: CHUNK_TASK comes from the state machine's container override.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e: unknown) => {
    console.error(`${(e as Error).name}: ${(e as Error).message}`);
    process.exit(1);
  });
}
