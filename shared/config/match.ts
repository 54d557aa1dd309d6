import picomatch from 'picomatch';
import type { Config, Pipeline } from './schema.js';

/** True when a key (an S3 key or a file path) is one this pipeline takes. */
export function matches(pipeline: Pipeline, key: string): boolean {
  const { prefix, suffix, glob } = pipeline.match;
  if (prefix !== undefined && !key.startsWith(prefix)) return false;
  if (suffix !== undefined && !key.endsWith(suffix)) return false;
  if (glob !== undefined && !picomatch.isMatch(key, glob, { dot: true })) return false;
  return true;
}

/** The first pipeline that takes the key, or undefined. */
export function matchPipeline(config: Config, key: string): Pipeline | undefined {
  return config.pipelines.find((p) => matches(p, key));
}
