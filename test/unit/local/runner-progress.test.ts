import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { runLocal, type RunEvent } from '../../../shared/local/runner.js';
import { FLUX_CONFIG, fluxTsv } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

// One chunk of several MB, so its worker reads it in several 1 MiB blocks.
const config = parseConfig({ pipelines: [{ ...FLUX_CONFIG.pipelines[0], chunking: { targetSize: '64MB' } }] });
const ROWS = 100_000;

describe('runLocal progress', () => {
  it('sends a running chunk\'s progress from its worker thread before the chunk\'s end, and none after', async () => {
    const file = join(dir, 'run.tsv');
    await writeFile(file, fluxTsv(ROWS).text);
    const events: RunEvent[] = [];
    const [job] = await runLocal({ config, files: [file], out: join(dir, 'run-out'), workers: 1, progressIntervalMs: 0, onEvent: (e) => events.push(e) });
    expect(job!.status).toBe('SUCCEEDED');
    const planned = events.find((e) => e.type === 'planned')!;
    const chunk = planned.type === 'planned' ? planned.plan.chunks[0]! : undefined;
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    const end = events.findIndex((e) => e.type === 'chunk');
    expect(progress.length).toBeGreaterThan(0);
    expect(events.findLastIndex((e) => e.type === 'progress')).toBeLessThan(end);
    expect(progress.every((p) => p.jobId === job!.jobId && p.index === 0)).toBe(true);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.rows).toBeGreaterThanOrEqual(progress[i - 1]!.rows);
      expect(progress[i]!.bytes).toBeGreaterThanOrEqual(progress[i - 1]!.bytes);
    }
    expect(progress[0]!.rows).toBeGreaterThan(0);
    expect(progress.at(-1)!.bytes).toBeLessThanOrEqual(chunk!.end - chunk!.start);
    expect(events[end]).toMatchObject({ type: 'chunk', index: 0, rows: ROWS, skipped: false });
  });
});
