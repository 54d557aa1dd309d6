import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { cloudContext } from '../shared/aws/context.js';
import { loadLambdaEnv } from '../shared/aws/env.js';
import { stepFunctionsName } from '../shared/errors.js';

/** Built once per container: env, logger, metrics and the engine's AWS adapters. */
export const env = loadLambdaEnv();
export const logger = new Logger({ serviceName: 'sluice' });
export const metrics = new Metrics({ namespace: 'Sluice', serviceName: 'sluice' });
const log = {
  info: (m: string, extra?: Record<string, unknown>) => logger.info(m, extra ?? {}),
  warn: (m: string, extra?: Record<string, unknown>) => logger.warn(m, extra ?? {}),
  error: (m: string, extra?: Record<string, unknown>) => logger.error(m, extra ?? {}),
};
export const context = cloudContext(env, log);
export { MetricUnit };

/** Renames our errors as Step Functions must see them (see `stepFunctionsName`). */
export function forStepFunctions(e: unknown): unknown {
  if (e instanceof Error) e.name = stepFunctionsName(e);
  return e;
}
