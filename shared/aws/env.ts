import { z } from 'zod';

/** Lambda and Fargate settings, read once from the environment the stack sets. */
export const LambdaEnv = z.object({
  BUCKET: z.string().min(1),
  TABLE_NAME: z.string().min(1),
  STATE_MACHINE_ARN: z.string().optional(),
  EVENT_BUS: z.string().default('default'),
  /** The deployed sluice.config as JSON (validated again at cold start). */
  SLUICE_CONFIG: z.string().min(2),
  /** Emulators: an endpoint for every client (tests, LocalStack). */
  AWS_ENDPOINT_URL: z.string().optional(),
  /** Path-style S3 URLs, for emulators (s3rver, LocalStack). */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  /** Fargate: the chunk to run, set by the state machine's container override. */
  CHUNK_TASK: z.string().optional(),
  /** Finalize and fail: the SNS topic job summaries go to (the stack's summaryEmail); unset, none are sent. */
  SUMMARY_TOPIC_ARN: z.string().optional(),
  /** Set by Lambda: the region the report links name. */
  AWS_REGION: z.string().optional(),
  SWEEP_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(3),
  SWEEP_STUCK_MINUTES: z.coerce.number().int().min(1).default(120),
  // Files written longer ago than this were looked up by earlier sweeps (every 15 minutes).
  SWEEP_LOOKBACK_HOURS: z.coerce.number().int().min(1).default(48),
});
export type LambdaEnv = z.infer<typeof LambdaEnv>;

/** The only place that reads process.env. */
export function loadLambdaEnv(env: NodeJS.ProcessEnv = process.env): LambdaEnv {
  // The deployed bundle carries the config as a build-time constant (esbuild define), since
  // Lambda caps all environment variables at 4 KB; tests and LocalStack may set it instead.
  return LambdaEnv.parse({ ...env, SLUICE_CONFIG: env.SLUICE_CONFIG ?? process.env.SLUICE_CONFIG });
}
