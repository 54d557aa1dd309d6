import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerField } from '../../../shared/jobs/replay.js';
import { writeJson as writeJsonFile } from '../../fixtures.js';
import { SLUICE_BIN, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const sluice = (args: string[]) => spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });

const pipeline = (maxAmount: number) => ({
  pipelines: [
    {
      name: 'orders',
      format: { type: 'csv', skipRows: [2] },
      schema: { columns: { id: { type: 'integer', required: true }, 'note, free': { type: 'string' }, amount: { type: 'number', max: maxAmount } } },
      qualityGate: { maxRejectRatio: 0.9 },
    },
  ],
});

describe('sluice replay', () => {
  it('runs a job’s rejects again through the fixed config: the recovered become results, the rest stay rejects with their reasons', async () => {
    // A units row under the header (skipRows [2]), a quoted record over two lines, and three rejects.
    const text = 'id,"note, free",amount\n-,-,USD\n1,a,10\n2,"big, ""one""\nsecond line",500\n3,c,x\n4,d,20\n5,e,700\n';
    await writeFile(join(dir, 'orders.csv'), text);
    await writeJsonFile(join(dir, 'strict.json'), pipeline(100));
    await writeJsonFile(join(dir, 'fixed.json'), pipeline(1000));
    const first = sluice(['run', 'strict.json', 'orders.csv', '--out', 'out', '--workers', '1']);
    expect(first.status, first.stderr).toBe(0);
    const jobId = /orders job (\S+): SUCCEEDED/.exec(first.stdout)![1]!;
    expect(first.stdout).toContain('rows: 5 in = 2 out + 3 rejected + 0 filtered (balanced)');

    const r = sluice(['replay', 'fixed.json', jobId, '--out', 'out', '--workers', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`replaying 3 rejected record(s) of job ${jobId} from out/replay/${jobId}/orders.csv`);
    expect(r.stdout).toContain('rows: 3 in = 2 out + 1 rejected + 0 filtered (balanced)');
    expect(r.stdout).toContain(`  replay:  2 of 3 record(s) recovered, 1 still rejected, 0 filtered; their lines in the input: out/replay/${jobId}/lines.json`);
    // The replay file holds the header and the records as they were, read back by csv-parse.
    const replayed = await readFile(join(dir, 'out/replay', jobId, 'orders.csv'), 'utf8');
    expect(parse(replayed)).toEqual([['id', 'note, free', 'amount'], ['2', 'big, "one"\nsecond line', '500'], ['3', 'c', 'x'], ['5', 'e', '700']]);
    expect(JSON.parse(await readFile(join(dir, 'out/replay', jobId, 'lines.json'), 'utf8'))).toEqual([4, 6, 8]);
    // The replay is a job of its own: its results and its one reject, with the reason.
    // In a pipeline of its own, so the pipeline's history and results stay apart.
    const replayJob = /→ orders-replay job (\S+): SUCCEEDED/.exec(r.stdout)![1]!;
    expect(replayJob).not.toBe(jobId);
    const results = (await readFile(join(dir, 'out/results/orders-replay', replayJob, 'part-00000.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results).toEqual([{ id: 2, 'note, free': 'big, "one"\nsecond line', amount: 500 }, { id: 5, 'note, free': 'e', amount: 700 }]);
    const rejects = (await readFile(join(dir, 'out/rejects/orders-replay', replayJob, 'part-00000.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { line: number; raw: string; errors: { column: string; rule: string }[] });
    expect(rejects).toEqual([expect.objectContaining({ line: 4, raw: '3,c,x', errors: [expect.objectContaining({ column: 'amount', rule: 'type' })] })]);
  });

  it('leaves out a reject whose text is only a preview of an over-long record, and says which', async () => {
    const config = pipeline(100);
    await writeJsonFile(join(dir, 'short.json'), { pipelines: [{ ...config.pipelines[0], format: { ...config.pipelines[0]!.format, maxLineBytes: 64 } }] });
    await writeFile(join(dir, 'long.csv'), `id,"note, free",amount\n-,-,USD\n1,a,10\n2,${'z'.repeat(200)},20\n3,c,500\n`);
    const first = sluice(['run', 'short.json', 'long.csv', '--out', 'long', '--workers', '1']);
    const jobId = /orders job (\S+): /.exec(first.stdout)![1]!;
    expect(first.stdout).toContain('rows: 3 in = 1 out + 2 rejected');
    const r = sluice(['replay', 'fixed.json', jobId, '--out', 'long', '--workers', '1']);
    expect(r.stdout).toContain('left out 1 reject(s) whose text is not their record (cut to a preview of maxLineBytes, or bytes that were not UTF-8): lines 4');
    expect(r.stdout).toContain('replay:  1 of 1 record(s) recovered, 0 still rejected');
  });

  it('says when there is nothing to replay, and names a job that is not there', async () => {
    await writeFile(join(dir, 'clean.csv'), 'id,"note, free",amount\n-,-,USD\n1,a,10\n');
    const first = sluice(['run', 'strict.json', 'clean.csv', '--out', 'clean', '--workers', '1']);
    const jobId = /orders job (\S+): SUCCEEDED/.exec(first.stdout)![1]!;
    const none = sluice(['replay', 'fixed.json', jobId, '--out', 'clean']);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout.trim()).toBe(`job ${jobId} has no rejected records: nothing to replay`);
    const missing = sluice(['replay', 'fixed.json', 'orders-000000000000000000000000', '--out', 'clean']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe('sluice: manifests/orders-000000000000000000000000/: no job orders-000000000000000000000000 here (its plan is not under manifests/)');
  });
});

describe('the replay header', () => {
  it('reads back through csv-parse as the names it was made from', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', ';') , minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), fc.constantFrom(',', ';'), (names, delimiter) => {
        const line = names.map((n) => headerField(n, delimiter, '"')).join(delimiter);
        expect(parse(`${line}\n`, { delimiter, relax_column_count: false })).toEqual([names]);
      }),
      { numRuns: 300 },
    );
  });
});
