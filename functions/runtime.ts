import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { cloudContext } from '../shared/aws/context.js';
import { loadLambdaEnv } from '../shared/aws/env.js';
import { stepFunctionsName } from '../shared/errors.js';

/** Built once per container: env, logger, metrics, tracer and the engine's AWS adapters. */
export const env = loadLambdaEnv();
export const logger = new Logger({ serviceName: 'sluice' });
export const metrics = new Metrics({ namespace: 'Sluice', serviceName: 'sluice' });
// Off outside Lambda (tests, the emulated tier); in Lambda every SDK call becomes a subsegment.
export const tracer = new Tracer({ serviceName: 'sluice', captureHTTPsRequests: false });
const log = {
  info: (m: string, extra?: Record<string, unknown>) => logger.info(m, extra ?? {}),
  warn: (m: string, extra?: Record<string, unknown>) => logger.warn(m, extra ?? {}),
  error: (m: string, extra?: Record<string, unknown>) => logger.error(m, extra ?? {}),
};
export const context = cloudContext(env, log, (client) => tracer.captureAWSv3Client(client));
export { MetricUnit };

/** Renames our errors as Step Functions must see them (see `stepFunctionsName`). */
export function forStepFunctions(e: unknown): unknown {
  if (e instanceof Error) e.name = stepFunctionsName(e);
  return e;
}

/**
 * One handler's frame: the Lambda context and the job's keys on every log line, a ColdStart
 * metric on a container's first call, a traced subsegment with the cold start annotated, errors
 * named for Step Functions, and the metrics flushed however the call ends.
 */
export function lambdaHandler<E, R>(name: string, keys: (event: E) => Record<string, unknown>, step: (event: E, lambdaContext: Context | undefined) => Promise<R>): (event: E, lambdaContext?: Context) => Promise<R> {
  return async (event, lambdaContext) => {
    if (lambdaContext) logger.addContext(lambdaContext);
    logger.appendKeys(keys(event));
    metrics.captureColdStartMetric(lambdaContext?.functionName);
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${name}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await step(event, lambdaContext);
    } catch (e) {
      tracer.addErrorAsMetadata(e as Error);
      throw forStepFunctions(e);
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
