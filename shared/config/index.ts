export { ConfigSchema, PipelineSchema, type Config, type Pipeline, type Column, type RetryPolicy } from './schema.js';
export { loadConfig, parseConfig, formatPath, InvalidConfigError, outputColumnNames } from './load.js';
export { dialectOf, parseByteSize, pipelineHash } from './resolve.js';
export { matches, matchPipeline, selectPipeline } from './match.js';
export { configJsonSchema } from './json-schema.js';
