import picomatch from 'picomatch';
import { ConfigError, InputError } from '../errors.js';
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

/**
 * The pipeline a local file runs through: the one named (`--pipeline`), else the first whose
 * `match` takes the key, as the cloud dispatch would choose. A config with one pipeline is no
 * exception: a file its `match` refuses is refused here too.
 */
export function selectPipeline(config: Config, key: string, name?: string): Pipeline {
  const names = config.pipelines.map((p) => p.name).join(', ');
  if (name !== undefined) {
    const named = config.pipelines.find((p) => p.name === name);
    if (!named) throw new ConfigError('--pipeline', `no pipeline named "${name}" (pipelines: ${names})`);
    return named;
  }
  const matched = matchPipeline(config, key);
  if (!matched) throw new InputError(key, 0, `no pipeline matches this file (${config.pipelines.map(describeMatch).join('; ')}); --pipeline NAME forces one`);
  return matched;
}

function describeMatch(p: Pipeline): string {
  const { prefix, suffix, glob } = p.match;
  const parts = [prefix !== undefined && `prefix "${prefix}"`, suffix !== undefined && `suffix "${suffix}"`, glob !== undefined && `glob "${glob}"`].filter(Boolean);
  return `${p.name} takes ${parts.length ? parts.join(' and ') : 'every file'}`;
}
