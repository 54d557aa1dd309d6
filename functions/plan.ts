import type { ExecutionInput } from '../shared/jobs/dispatch.js';
import { planStep } from '../shared/jobs/steps.js';
import { context, forStepFunctions, logger } from './runtime.js';

/** Plan λ: writes the chunk manifest the Distributed Map reads. */
export const handler = async (input: ExecutionInput) => {
  logger.appendKeys({ jobId: input.jobId, pipeline: input.pipeline });
  try {
    return await planStep(input, context);
  } catch (e) {
    throw forStepFunctions(e);
  } finally {
    logger.resetKeys();
  }
};
