import { describe, expect, it } from 'vitest';
import { formatEta, progressReporter } from '../../../cli/progress.js';
import type { RunEvent } from '../../../shared/local/runner.js';
import type { JobPlan } from '../../../shared/plan/plan.js';

const MB = 1e6;

function plan(jobId: string, sizes: readonly number[]): JobPlan {
  let start = 0;
  const chunks = sizes.map((size, index) => ({ index, start, end: (start += size) }));
  return { jobId, pipeline: 'flux', pipelineHash: 'h', input: { key: `${jobId}.tsv`, size: start, etag: 'e' }, compression: 'none', header: ['a'], headerLines: 1, dataStart: 0, lineBreak: '\n', method: 'byte ranges', chunks };
}

/** A reporter on a non-TTY stream with a clock the test sets. */
function reporter(plainIntervalMs = 2000) {
  let t = 0;
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  const r = progressReporter(stream, { now: () => t, plainIntervalMs });
  return {
    at(ms: number, e: RunEvent) {
      t = ms;
      const before = out.length;
      r.onEvent(e);
      return out.slice(before).join('');
    },
    out,
  };
}

const progress = (jobId: string, index: number, rows: number, bytes: number): RunEvent => ({ type: 'progress', jobId, index, rows, bytes });
const chunk = (jobId: string, index: number, rows: number, bytes: number, skipped = false): RunEvent => ({ type: 'chunk', jobId, index, rows, bytes, skipped });

describe('progressReporter', () => {
  it('rates and times only this run\'s work, with in-flight progress, and shows checkpointed chunks apart', () => {
    const r = reporter();
    r.at(0, { type: 'planned', file: 'site.tsv', plan: plan('j', [30 * MB, 100 * MB, 100 * MB]), skipped: 1 });
    expect(r.at(0, chunk('j', 0, 300_000, 30 * MB, true))).toBe('site.tsv: 1 chunk(s) already done, 30.0 MB skipped (checkpoint)\n');

    // Mid-chunk, before any chunk has finished: a line with real rates (20 MB in 2 s, not 50 MB).
    expect(r.at(1000, progress('j', 1, 50_000, 10 * MB))).toBe('');
    expect(r.at(2000, progress('j', 2, 50_000, 10 * MB))).toBe('progress: 0/2 chunks, 20.0 MB of 200.0 MB, 50,000 rows/s, 10.0 MB/s, ETA 18 s (1 chunk(s) skipped, 30.0 MB)\n');
    expect(r.at(3000, progress('j', 1, 100_000, 20 * MB))).toBe('');

    // The chunk's end replaces its in-flight figures: 100 MB done + 10 MB in flight after 4 s.
    expect(r.at(4000, chunk('j', 1, 500_000, 100 * MB))).toBe('progress: 1/2 chunks, 110.0 MB of 200.0 MB, 137,500 rows/s, 27.5 MB/s, ETA 3 s (1 chunk(s) skipped, 30.0 MB)\n');
    // A message that trails the chunk's end changes nothing.
    r.at(4500, progress('j', 1, 490_000, 99 * MB));

    // A retry starts its chunk from nothing again.
    expect(r.at(5000, { type: 'retry', jobId: 'j', index: 2, attempt: 1, delayMs: 100, error: { name: 'TransientError', message: 'timed out', retryable: true } })).toBe(
      'chunk 2 of j: TransientError: timed out; retry 1 in 100 ms\n',
    );
    expect(r.at(6000, progress('j', 2, 50_000, 5 * MB))).toBe('progress: 1/2 chunks, 105.0 MB of 200.0 MB, 91,667 rows/s, 17.5 MB/s, ETA 5 s (1 chunk(s) skipped, 30.0 MB)\n');

    // The last chunk's end always prints, however soon after the previous line.
    expect(r.at(6500, chunk('j', 2, 500_000, 100 * MB))).toBe('progress: 2/2 chunks, 200.0 MB of 200.0 MB, 153,846 rows/s, 30.8 MB/s, ETA 0 s (1 chunk(s) skipped, 30.0 MB)\n');
  });

  it('prints at most one progress line per interval however many events arrive', () => {
    const r = reporter(5000);
    r.at(0, { type: 'planned', file: 'a.tsv', plan: plan('a', [100 * MB, 100 * MB]), skipped: 0 });
    const lines: string[] = [];
    for (let ms = 250; ms <= 12_000; ms += 250) lines.push(r.at(ms, progress('a', (ms / 250) % 2, ms * 10, ms * 1000)));
    expect(lines.filter(Boolean)).toHaveLength(2);
    expect(lines[19]).toMatch(/^progress: 0\/2 chunks, .* ETA /);
  });

  it('starts the clock at the last plan, so planning other files is not in the rate', () => {
    const r = reporter();
    r.at(0, { type: 'planned', file: 'a.tsv', plan: plan('a', [50 * MB]), skipped: 0 });
    r.at(3000, { type: 'planned', file: 'b.tsv', plan: plan('b', [50 * MB]), skipped: 0 });
    expect(r.at(5000, progress('a', 0, 10_000, 20 * MB))).toContain('20.0 MB of 100.0 MB, 5,000 rows/s, 10.0 MB/s, ETA 8 s\n');
  });

  it('says ETA ? until there is a rate, then minutes and hours', () => {
    expect([undefined, 12.6, 125, 3 * 3600 + 7 * 60].map(formatEta)).toEqual(['?', '13 s', '2 min 5 s', '3 h 7 min']);
  });
});
