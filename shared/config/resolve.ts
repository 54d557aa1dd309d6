import { createHash } from 'node:crypto';
import type { Dialect } from '../formats/delimited.js';
import type { Pipeline } from './schema.js';

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "64MB" → 64000000. */
export function parseByteSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(size.trim());
  const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) throw new Error(`not a size: "${size}" (use e.g. 500KB, 64MB, 1GB)`);
  return Math.round(Number(m[1]) * unit);
}

/**
 * Delimiter, quote and quote leniency with the format's defaults applied. The line break is the
 * file's own (the plan detects it); `\n` until then.
 */
export function dialectOf(p: Pipeline, lineBreak: Dialect['lineBreak'] = '\n'): Dialect {
  const tsv = p.format.type === 'tsv';
  const delimiter = p.format.delimiter ?? (tsv ? '\t' : ',');
  // JSONL lines are records whatever quotes they hold.
  const quote = p.format.type === 'jsonl' || p.format.quote === false ? '' : (p.format.quote ?? (tsv ? '' : '"'));
  return { delimiter, quote, lineBreak, relaxQuotes: p.format.relaxQuotes, comment: p.format.comment ?? '' };
}

/**
 * Stable hash of the settings that decide a job's outputs: part of the job id and of each chunk's
 * fingerprint. Where and how it runs (compute, retry, schedule) is left out, so a rerun with
 * more time or memory resumes the same job; so is collect, which acts on the jobs' results, and
 * the scan window.
 */
export function pipelineHash(p: Pipeline): string {
  const { compute: _compute, retry: _retry, schedule: _schedule, collect: _collect, ...outputs } = p;
  // The scan window changes how boundaries are found, not where.
  const { scanWindow: _scanWindow, ...chunking } = p.chunking;
  return createHash('sha256').update(stableJson({ ...outputs, chunking })).digest('hex').slice(0, 16);
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
