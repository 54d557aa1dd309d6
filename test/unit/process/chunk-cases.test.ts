import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, JobFailedError } from '../../../shared/errors.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { chunkFingerprint, processChunk, type ChunkDeps, type ChunkProgress } from '../../../shared/process/chunk.js';
import { backoffDelay, withRetries } from '../../../shared/process/retry.js';
import { layout } from '../../../shared/process/layout.js';
import { TransientError } from '../../../shared/errors.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let runs = 0;

/** Plans a CSV and runs its chunks in order in this thread; returns the results and the output store. */
async function run(text: string, partial: Record<string, unknown>, deps: Partial<ChunkDeps> = {}) {
  const name = `c-${++runs}.csv`;
  await writeFile(join(dir, name), text);
  const input = new FsObjectStore(dir);
  const output = new FsObjectStore(join(dir, `o-${runs}`));
  const pipeline = pipelineOf({ format: { type: 'csv' }, ...partial });
  const plan = await planChunks(input, name, pipeline);
  const results = [];
  for (const chunk of plan.chunks) results.push(await processChunk(pipeline, plan, chunk, { input, output, ...deps }));
  return { name, plan, results, output, text: async (key: string) => (await output.get(key))?.toString() };
}

const schema = { columns: { a: { type: 'integer' }, b: {} } };

describe('processChunk, case by case', () => {
  it('counts rows, lines, blank lines and bytes, and names its fingerprint', async () => {
    const text = 'a,b\n1,x\n\n2,y\nz,w\n';
    const { plan, results } = await run(text, { schema });
    const [r] = results;
    expect(r!.index).toBe(0);
    expect(r!.fingerprint).toBe(`${plan.input.etag}::${plan.chunks[0]!.start}-${plan.chunks[0]!.end}:${plan.pipelineHash}:2p1`);
    expect(chunkFingerprint(plan, plan.chunks[0]!)).toBe(r!.fingerprint);
    expect(chunkFingerprint({ ...plan, input: { ...plan.input, versionId: 'v7' } }, { ...plan.chunks[0]!, start: 3, end: 9 })).toBe(`${plan.input.etag}:v7:3-9:${plan.pipelineHash}:2p1`);
    expect(r!.stats).toMatchObject({ chunks: 1, rowsIn: 3, rowsOut: 2, rowsRejected: 1, rowsFiltered: 0, rowsWarned: 0, lines: 4, blankLines: 1, bytes: text.length - 4, rowsPerChunk: { '0': 3 } });
    expect(r!.stats.columns.a).toMatchObject({ count: 2, nulls: 0, min: 1, max: 2 });
  });

  it('writes each reject as a JSON line with its line, offset, chunk, every error and raw text', async () => {
    const { plan, results, text } = await run('a,b\n1,x\nq,"y"\n"unclosed\n', { schema });
    expect(results[0]!.rejects!.key).toBe(`rejects/test/${plan.jobId}/_chunks/part-00000.jsonl`);
    expect((await text(results[0]!.rejects!.key))!.split('\n')).toEqual([
      '{"line":2,"offset":8,"chunk":0,"errors":[{"column":"a","rule":"type","value":"q","message":"\\"q\\" is not an integer"}],"raw":"q,\\"y\\""}',
      '{"line":3,"offset":14,"chunk":0,"errors":[{"rule":"malformed","message":"unterminated quoted field 1"}],"raw":"\\"unclosed"}',
      '',
    ]);
    expect(results[0]!.rejects!.rows).toBe(2);
    expect(results[0]!.stats.rules).toEqual({
      type: { count: 1, samples: [{ line: 2, column: 'a', value: 'q', message: '"q" is not an integer' }] },
      malformed: { count: 1, samples: [{ line: 3, message: 'unterminated quoted field 1' }] },
    });
  });

  it('keeps the first five samples of a rule and counts them all', async () => {
    const bad = Array.from({ length: 7 }, (_, i) => `x${i},b`).join('\n');
    const { results } = await run(`a,b\n${bad}\n`, { schema, qualityGate: { maxRejectRatio: 1 } });
    expect(results[0]!.stats.rules.type!.count).toBe(7);
    expect(results[0]!.stats.rules.type!.samples.map((s) => s.value)).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
  });

  it('stops at the first bad row with onBadRow fail-chunk or fail-job, saying where', async () => {
    await expect(run('a,b\n1,x\nq,y\n', { schema, onBadRow: 'fail-chunk' })).rejects.toThrow(InputError);
    await expect(run('a,b\n1,x\nq,y\n', { schema, onBadRow: 'fail-chunk' })).rejects.toThrow(/^c-\d+\.csv: line 3: a: "q" is not an integer \(onBadRow: fail-chunk\)$/);
    await expect(run('a,b\n1,x,3\n', { schema, onBadRow: 'fail-job' })).rejects.toThrow(JobFailedError);
    await expect(run('a,b\n1,x,3\n', { schema, onBadRow: 'fail-job' })).rejects.toThrow(/^c-\d+\.csv: line 2: expected 2 fields, found 3 \(onBadRow: fail-job\)$/);
    const rows = Array.from({ length: 30 }, (_, i) => `${i},x`);
    rows[20] = 'bad,x';
    await expect(run(`a,b\n${rows.join('\n')}\n`, { schema, onBadRow: 'fail-chunk', chunking: { targetSize: 40 } })).rejects.toThrow(/: byte \d+ \(chunk [1-9]\d*, line \d+ of the chunk\): a: "bad" is not an integer \(onBadRow: fail-chunk\)$/);
  });

  it('counts warnings by rule and the rows that have any', async () => {
    const rules = { row: [{ name: 'small', expr: 'a < 10', severity: 'warn' }, { name: 'even', expr: 'a % 2 == 0', severity: 'warn' }] };
    const { results } = await run('a,b\n1,x\n12,y\n13,z\n4,w\n', { schema: { columns: { a: { type: 'integer', required: true }, b: {} } }, rules });
    expect(results[0]!.stats).toMatchObject({ rowsOut: 4, rowsWarned: 3, warnings: { even: 2, small: 2 } });
  });

  it('writes key hashes for each unique rule under the job manifests', async () => {
    const { plan, results, output } = await run('a,b\n1,x\n2,y\n', { schema, rules: { dataset: [{ type: 'rowCount', min: 1 }, { type: 'unique', columns: ['a'] }] } });
    const key = `manifests/${plan.jobId}/unique/1/part-00000.bin`;
    expect(results[0]!.keyRuns).toEqual({ '1': key });
    // A header of 16 bytes (magic, 1 partition, its first key 0, 2 keys), then 8 bytes a key.
    const keyRun = (await output.get(key))!;
    expect(keyRun.length).toBe(32);
    expect([...new Uint32Array(new Uint8Array(keyRun.subarray(0, 16)).buffer)]).toEqual([0x314e5253, 1, 0, 2]);
  });

  it('tells each record start line in order when asked, malformed ones included', async () => {
    const lines: number[] = [];
    await run('a,b\n1,x\n"q\nq",y\n\nbad"x,z\n3,w\n', { schema }, { onRecordStart: (l) => lines.push(l) });
    expect(lines).toEqual([1, 2, 5, 6]);
  });

  it('reports progress at block ends when the interval has passed, with rows and bytes read', async () => {
    const seen: ChunkProgress[] = [];
    const text = 'a,b\n1,x\n2,y\n';
    await run(text, { schema }, { onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
    expect(seen.length).toBeGreaterThan(0);
    // The chunk's range: the 8 bytes after the header.
    expect(seen.at(-1)).toEqual({ rows: 2, bytes: 8 });
    const none: ChunkProgress[] = [];
    await run(text, { schema }, { onProgress: (p) => none.push(p), progressIntervalMs: 60_000 });
    expect(none).toEqual([]);
  });

  it('gives the same parts with and without the fast path', async () => {
    const text = 'a,b\n1,x\n2,"y,z"\nq,w\n3,\n';
    const fast = await run(text, { schema });
    const slow = await run(text, { schema }, { fastPath: false });
    expect(await slow.text(slow.results[0]!.parts[0]!.key)).toBe(await fast.text(fast.results[0]!.parts[0]!.key));
    expect(await fast.text(fast.results[0]!.parts[0]!.key)).toBe('{"a":1,"b":"x"}\n{"a":2,"b":"y,z"}\n{"a":3,"b":null}\n');
    expect(slow.results[0]!.stats).toMatchObject({ rowsIn: 4, rowsOut: 3, rowsRejected: 1 });
  });

  it('reads quoted records the same with and without the fast path', async () => {
    const text = 'a,b\n1,"x,y"\n2,""\n3,"p""q"\n"4",z\n5,"open\nline"\n6,"a"b\n7,b"c\n8,"tail"\r\n';
    const fast = await run(text, { schema });
    const slow = await run(text, { schema }, { fastPath: false });
    const expected = '{"a":1,"b":"x,y"}\n{"a":2,"b":null}\n{"a":3,"b":"p\\"q"}\n{"a":4,"b":"z"}\n{"a":5,"b":"open\\nline"}\n{"a":8,"b":"tail"}\n';
    expect(await fast.text(fast.results[0]!.parts[0]!.key)).toBe(expected);
    expect(await slow.text(slow.results[0]!.parts[0]!.key)).toBe(expected);
    const reasons = async (r: Awaited<ReturnType<typeof run>>) => (await r.text(r.results[0]!.rejects!.key))!.split('\n').filter(Boolean).map((l) => [JSON.parse(l).line, JSON.parse(l).errors[0].message]);
    expect(await reasons(fast)).toEqual([
      [7, 'text after the closing quote of field 2'],
      [8, 'quote inside unquoted field 2'],
    ]);
    expect(await reasons(slow)).toEqual(await reasons(fast));
  });

  it('reads runs of lines broken by comments, blank lines, rejects and a derive the compiled CEL cannot be sure of', async () => {
    const text = 'a,b\n1,x\n2,y\n# a note, not a record\n3,z\n\n0,w\nq,v\n4,u\n5,"t,s"\n6,r';
    const config = { schema, format: { type: 'csv', comment: '#' }, transform: { derive: { inv: '10 / a' } }, qualityGate: { maxRejectRatio: 1 } };
    const fast = await run(text, config);
    const slow = await run(text, config, { fastPath: false });
    // 10 / 0 is an error in CEL: that row is a derive reject on both paths.
    const expected = '{"a":1,"b":"x","inv":10}\n{"a":2,"b":"y","inv":5}\n{"a":3,"b":"z","inv":3}\n{"a":4,"b":"u","inv":2}\n{"a":5,"b":"t,s","inv":2}\n{"a":6,"b":"r","inv":1}\n';
    expect(await fast.text(fast.results[0]!.parts[0]!.key)).toBe(expected);
    expect(await slow.text(slow.results[0]!.parts[0]!.key)).toBe(expected);
    const { durationMs: _f, ...fastStats } = fast.results[0]!.stats;
    const { durationMs: _s, ...slowStats } = slow.results[0]!.stats;
    expect(fastStats).toEqual(slowStats);
    expect(fastStats).toMatchObject({ rowsIn: 8, rowsOut: 6, rowsRejected: 2, lines: 10, blankLines: 1, skippedLines: 1 });
    expect(Object.keys(fastStats.rules).sort()).toEqual(['derive.inv', 'type']);
  });

  it('gives the same Parquet bytes with and without the fast path, a same-type cast included', async () => {
    // big is an int cast to integer (its own type), which the fast path takes; past 2^53 it is a reject on both paths.
    const config = {
      schema: { columns: { a: { type: 'integer' }, b: { type: 'enum', values: ['x', 'y'] } } },
      transform: { derive: { big: 'a * 10000000000', half: 'double(a) / 2.0' }, cast: { big: 'integer' } },
      output: { format: 'parquet', partitionBy: ['b'] },
    };
    const text = 'a,b\n1,x\n2,y\n1000000,x\n-3,"y"\n,x\n';
    const fast = await run(text, config);
    const slow = await run(text, config, { fastPath: false });
    const parts = async (r: Awaited<ReturnType<typeof run>>) => Promise.all(r.results[0]!.parts.map(async (p) => [p.key.split('/').slice(3).join('/'), p.rows, (await r.output.get(p.key))!.toString('base64')]));
    expect(await parts(fast)).toEqual(await parts(slow));
    expect((await parts(fast)).map(([key, rows]) => [key, rows])).toEqual([
      ['b=x/part-00000.parquet', 1],
      ['b=y/part-00000.parquet', 2],
    ]);
    // The values, read back by hyparquet: integers as INT64, the half as a double.
    const rows = [];
    for (const p of fast.results[0]!.parts) {
      const b = (await fast.output.get(p.key))!;
      rows.push(...((await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer })) as Record<string, unknown>[]));
    }
    expect(rows).toEqual([
      { a: 1n, b: 'x', big: 10000000000n, half: 0.5 },
      { a: 2n, b: 'y', big: 20000000000n, half: 1 },
      { a: -3n, b: 'y', big: -30000000000n, half: -1.5 },
    ]);
    expect(fast.results[0]!.stats.rules).toEqual(slow.results[0]!.stats.rules);
    // 10^16 is past 2^53; a null a has no product and no half.
    expect(Object.entries(fast.results[0]!.stats.rules).map(([rule, t]) => [rule, t.count, t.samples.map((x) => x.line)])).toEqual([
      ['derive.big', 2, [3, 5]],
      ['derive.half', 1, [5]],
    ]);
  });

  it('writes one part per partition, in partition order', async () => {
    const { plan, results } = await run('a,b\n1,y\n2,x\n3,y\n4,\n', { schema, output: { format: 'csv', partitionBy: ['b'] } });
    const prefix = `results/test/${plan.jobId}/`;
    expect(results[0]!.parts.map((p) => [p.key.slice(prefix.length), p.rows])).toEqual([
      ['b=__null__/part-00000.csv', 1],
      ['b=x/part-00000.csv', 1],
      ['b=y/part-00000.csv', 2],
    ]);
  });
});

describe('layout', () => {
  it('places every object of a job under its pipeline and job id', () => {
    expect([layout.results('p', 'j'), layout.rejects('p', 'j'), layout.rejectsStaging('p', 'j'), layout.reports('p', 'j'), layout.manifests('j')]).toEqual([
      'results/p/j/',
      'rejects/p/j/',
      'rejects/p/j/_chunks/',
      'reports/p/j/',
      'manifests/j/',
    ]);
    expect([0, 7, 12345, 123456].map(layout.part)).toEqual(['part-00000', 'part-00007', 'part-12345', 'part-123456']);
  });
});

describe('retries', () => {
  const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 350, jitter: 'none' as const };

  it('doubles the delay from the base up to the cap, and draws full jitter below it', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(policy, a))).toEqual([100, 200, 350, 350]);
    expect([1, 2, 3].map((a) => backoffDelay({ ...policy, jitter: 'full' }, a, () => 0.5))).toEqual([50, 100, 175]);
    expect(backoffDelay({ ...policy, jitter: 'full' }, 3, () => 0.999)).toBe(349);
    expect(backoffDelay({ ...policy, jitter: 'full' }, 1, () => 0)).toBe(0);
  });

  it('retries a transient error until an attempt succeeds, and tells each retry', async () => {
    const told: [number, number, string][] = [];
    let calls = 0;
    const result = await withRetries({ ...policy, baseDelayMs: 1, maxDelayMs: 2 }, async () => {
      if (++calls < 3) throw new TransientError(`try ${calls}`);
      return 'ok';
    }, (attempt, delay, e) => told.push([attempt, delay, e.message]));
    expect([result, calls, told]).toEqual(['ok', 3, [[1, 1, 'try 1'], [2, 2, 'try 2']]]);
  });

  it('stops at the last attempt, and at once on a permanent error', async () => {
    let calls = 0;
    await expect(withRetries({ ...policy, baseDelayMs: 0 }, async () => {
      calls++;
      throw new TransientError('down');
    }, () => undefined)).rejects.toThrow('down');
    expect(calls).toBe(4);
    calls = 0;
    await expect(withRetries({ ...policy, baseDelayMs: 0 }, async () => {
      calls++;
      throw new InputError('f', 2, 'bad');
    }, () => undefined)).rejects.toThrow('f:2: bad');
    expect(calls).toBe(1);
  });
});
