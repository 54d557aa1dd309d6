import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { SuccessManifest } from '../../../shared/report/finalize.js';
import { verifyJob } from '../../../shared/verify/verify.js';
import { FLUX_CONFIG, fluxTsv } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';

// The checker must fail when a job is unsound: each case damages a copy of one sound job.
let dir: string;
let cleanup: () => Promise<void>;
let jobId: string;
let success: SuccessManifest;
let base: string;

/** One sound job's output folder, to be copied and damaged. */
async function soundJob(name: string, pipeline: Record<string, unknown>) {
  const out = join(dir, name);
  const [job] = await runLocal({ config: parseConfig({ pipelines: [pipeline] }), files: [join(dir, 'flux.tsv')], out, workers: 1 });
  const manifest = JSON.parse(await readFile(join(out, 'results/flux', job!.jobId, '_SUCCESS'), 'utf8')) as SuccessManifest;
  return { jobId: job!.jobId, success: manifest, base: out };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writeFile(join(dir, 'flux.tsv'), fluxTsv(3000).text);
  ({ jobId, success, base } = await soundJob('base', FLUX_CONFIG.pipelines[0]!));
});
afterAll(() => cleanup());

let copies = 0;
async function damaged(damage: (out: string) => Promise<void>, job = { jobId, base }) {
  const out = join(dir, `copy-${copies++}`);
  await cp(job.base, out, { recursive: true });
  await damage(out);
  const v = await verifyJob(job.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
  return { ...v, failed: v.checks.filter((c) => !c.ok).map((c) => c.name) };
}

const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean);

describe('sluice verify catches an unsound job', () => {
  it('passes the sound job', async () => {
    const v = await damaged(async () => undefined);
    expect(success.parts.length).toBeGreaterThan(1);
    expect([v.ok, v.lost, v.duplicated, v.failed]).toEqual([true, 0, 0, []]);
  });

  it('counts a result record that went missing', async () => {
    const v = await damaged(async (out) => {
      const part = join(out, success.parts[1]!.key);
      await writeFile(part, `${(await lines(part)).slice(1).join('\n')}\n`);
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 1, 0]);
    expect(v.failed).toEqual(['checksums', 'results by content']);
  });

  it('counts a reject that went missing', async () => {
    const v = await damaged(async (out) => {
      const part = join(out, success.rejects[0]!.key);
      await writeFile(part, `${(await lines(part)).slice(0, -1).join('\n')}\n`);
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 1, 0]);
    // The independent reader also sees a record that is neither in the output nor in the rejects.
    expect(v.failed).toEqual(['checksums', 'rejects by content', 'independent values']);
  });

  it('counts a part written twice under another key and listed in _SUCCESS', async () => {
    const twin = success.parts[0]!;
    const v = await damaged(async (out) => {
      const key = twin.key.replace('part-00000', 'part-99999');
      await cp(join(out, twin.key), join(out, key));
      const file = join(out, 'results/flux', jobId, '_SUCCESS');
      await writeFile(file, JSON.stringify({ ...success, parts: [...success.parts, { ...twin, key }] }));
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 0, twin.rows]);
    expect(v.failed).toEqual(['results by count', 'results by content']);
  });

  it('flags a part that exists but is not listed, and one listed that does not exist', async () => {
    const v = await damaged(async (out) => {
      await cp(join(out, success.parts[0]!.key), join(out, success.parts[0]!.key.replace('part-00000', 'part-99999')));
      await rm(join(out, success.rejects[0]!.key));
    });
    expect(v.failed).toEqual(['parts match _SUCCESS', 'rejects by content', 'independent values']);
    expect(v.checks.find((c) => c.name === 'parts match _SUCCESS')!.detail).toMatch(/unlisted: .*part-99999\.jsonl; missing: .*rejects\/flux\/.*part-\d+\.jsonl;/);
    expect(v.lost).toBe(success.rejects[0]!.rows);
  });

  it('counts the rows of a missing CSV part as lost (CSV counts come from the parts that exist)', async () => {
    const csv = await soundJob('csv', { ...FLUX_CONFIG.pipelines[0]!, output: { format: 'csv' } });
    const gone = csv.success.parts[1]!;
    const v = await damaged((out) => rm(join(out, gone.key)), csv);
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, gone.rows, 0]);
    expect(v.failed).toEqual(['parts match _SUCCESS', 'results by content']);
  });

  it('catches a record changed in place, with the counts intact', async () => {
    const v = await damaged(async (out) => {
      const part = join(out, success.parts[0]!.key);
      await writeFile(part, (await readFile(part, 'utf8')).replace('"TA":', '"TA":1'));
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 0, 0]);
    expect(v.failed).toEqual(['checksums', 'results by content']);
  });

  it('does not claim 0 lost for a job it could not compare (no _SUCCESS)', async () => {
    const v = await damaged((out) => rm(join(out, 'results/flux', jobId, '_SUCCESS')));
    expect([v.ok, v.lost, v.duplicated, v.failed]).toEqual([false, null, null, ['committed']]);
  });
});

// Inputs that once lost records while verify said "0 lost". Each runs through the engine and is
// held against the independent reader; the literal details are what a sound engine must give.
describe('sluice verify holds the engine against an independent reader', () => {
  const schema = { columns: { id: { type: 'integer' }, qty: { type: 'integer' }, note: { type: 'string' } } };
  type Expected = { fails: RegExp } | { rows: { in: number; out: number; rejected: number }; details: Record<string, string> };
  const cases: { name: string; content: string; format?: Record<string, unknown>; expected: Expected }[] = [
    {
      name: 'header: false',
      content: '1,5,ok\n2,6,fine\n3,7,good\n',
      format: { header: false },
      expected: {
        rows: { in: 3, out: 3, rejected: 0 },
        details: {
          'independent lines': '3 physical lines (a plain count of line breaks); the engine accounts for 3 (0 header + 3 read + 0 skipped), 0 of them blank; csv-parse strict: 0 header + 3 in records + 0 blank = 3',
          // Once every value was null here: the values check is the one that sees it.
          'independent values': "non-null values of 3 column(s) match the input's in records not rejected",
        },
      },
    },
    {
      name: 'CR-only line endings',
      content: 'id,qty,note\r1,5,a\r2,6,b\r3,7,c\r',
      expected: {
        rows: { in: 3, out: 3, rejected: 0 },
        details: {
          'independent records': 'records: the engine read 3, csv-parse strict reads 3',
          'independent lines': '4 physical lines (a plain count of line breaks); the engine accounts for 4 (1 header + 3 read + 0 skipped), 0 of them blank; csv-parse strict: 1 header + 3 in records + 0 blank = 4',
          'independent header': '3 of 3 schema columns named in the header, which spans 1 line(s)',
        },
      },
    },
    // A header that cannot be read or names no schema column fails the job: verify would never pass it.
    { name: 'an unterminated quote in the header', content: 'id,"qty,note\n1,5,a\n2,6,b\n', expected: { fails: /an-unterminated-quote-in-the-header\.csv:1: .*unterminated quoted field/ } },
    { name: 'a header that matches no schema column', content: 'ID,QTY,NOTE\n1,5,a\n2,6,b\n', expected: { fails: /a-header-that-matches-no-schema-column\.csv:1: columns "id" .*not in the header/ } },
    {
      name: 'a stray opening quote in a free-text field',
      content: 'id,qty,note\n1,5,"Leave it by the door\n2,6,ok\n3,7,"quoted"\n',
      expected: {
        rows: { in: 3, out: 2, rejected: 1 },
        details: {
          'independent records': 'records: the engine read 3, csv-parse strict reads 3',
          'independent malformed': 'csv-parse strict finds 1 malformed (lines 2), the engine rejected 1 as malformed (lines 2)',
          'independent lines': '4 physical lines (a plain count of line breaks); the engine accounts for 4 (1 header + 3 read + 0 skipped), 0 of them blank; csv-parse strict: 1 header + 3 in records + 0 blank = 4',
        },
      },
    },
    {
      name: 'a line of spaces',
      content: 'id,qty,note\n1,5,a\n   \n2,6,b\n',
      expected: {
        rows: { in: 3, out: 2, rejected: 1 },
        details: {
          'independent records': 'records: the engine read 3, csv-parse strict reads 3',
          'independent lines': '4 physical lines (a plain count of line breaks); the engine accounts for 4 (1 header + 3 read + 0 skipped), 0 of them blank; csv-parse strict: 1 header + 3 in records + 0 blank = 4',
          'independent malformed': 'csv-parse strict finds 0 malformed (lines none), the engine rejected 0 as malformed (lines none)',
        },
      },
    },
    {
      name: 'a JSONL line of spaces',
      content: '{"id":1,"qty":5}\n  \n{"id":2,"qty":6}\n',
      format: { type: 'jsonl' },
      expected: {
        rows: { in: 3, out: 2, rejected: 1 },
        details: {
          'independent records': 'records: the engine read 3, JSON.parse reads 3',
          'independent malformed': 'JSON.parse finds 1 malformed (lines 2), the engine rejected 1 as malformed (lines 2)',
        },
      },
    },
    {
      name: 'text after a closing quote',
      content: 'id,qty,note\n1,5,"ok"x\n2,6,b\n',
      expected: {
        rows: { in: 2, out: 1, rejected: 1 },
        details: { 'independent malformed': 'csv-parse strict finds 1 malformed (lines 2), the engine rejected 1 as malformed (lines 2)' },
      },
    },
    {
      name: 'a quote not closed within maxLineBytes',
      content: `id,qty,note\n1,5,"${'x'.repeat(50)}\n${'2,6,b\n'.repeat(5)}4,5,"c"\n`,
      format: { maxLineBytes: 40 },
      expected: {
        rows: { in: 7, out: 6, rejected: 1 },
        details: { 'independent malformed': 'csv-parse strict finds 1 malformed (lines 2), the engine rejected 1 as malformed (lines 2)' },
      },
    },
    {
      name: 'a record over maxLineBytes that spans lines',
      content: `id,qty,note\n1,"p\nq",${'x'.repeat(50)}\n2,6,b\n`,
      format: { maxLineBytes: 40 },
      expected: {
        rows: { in: 2, out: 1, rejected: 1 },
        details: {
          'independent malformed': 'csv-parse strict finds 1 malformed (lines 2), the engine rejected 1 as malformed (lines 2)',
          'independent lines': '4 physical lines (a plain count of line breaks); the engine accounts for 4 (1 header + 3 read + 0 skipped), 0 of them blank; csv-parse strict: 1 header + 3 in records + 0 blank = 4',
        },
      },
    },
    {
      name: 'header names with spaces around them',
      content: ' id , qty,note \n1,5,a\n2,6,b\n',
      expected: {
        rows: { in: 2, out: 2, rejected: 0 },
        details: {
          'independent header': '3 of 3 schema columns named in the header, which spans 1 line(s)',
          'independent values': "non-null values of 3 column(s) match the input's in records not rejected",
        },
      },
    },
    {
      name: 'a sound file with a BOM, CRLF, a blank line and quoted line breaks',
      content: '\uFEFFid,qty,note\r\n1,5,"two\r\nlines"\r\n\r\n2,6,"a ""quoted"" word"\n3,7,\n',
      expected: {
        rows: { in: 3, out: 3, rejected: 0 },
        details: {
          'independent lines': '6 physical lines (a plain count of line breaks); the engine accounts for 6 (1 header + 5 read + 0 skipped), 1 of them blank; csv-parse strict: 1 header + 4 in records + 1 blank = 6',
          'independent record starts': '3 records start on the same lines (3:b5e4392e43dbcd85)',
        },
      },
    },
  ];

  it('reads a gzip input through gunzip, as the engine does', async () => {
    const file = join(dir, 'orders.csv.gz');
    await writeFile(file, gzipSync('id,qty,note\n1,5,"two\nlines"\n\n2,6,b\n'));
    const out = `${file}.out`;
    const [job] = await runLocal({ config: parseConfig({ pipelines: [{ name: 'eight', format: { type: 'csv' }, schema }] }), files: [file], out, workers: 1 });
    const v = await verifyJob(job!.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
    expect([v.ok, v.lost, v.checks.find((x) => x.name === 'independent lines')!.detail]).toEqual([
      true,
      0,
      '5 physical lines (a plain count of line breaks); the engine accounts for 5 (1 header + 4 read + 0 skipped), 1 of them blank; csv-parse strict: 1 header + 3 in records + 1 blank = 5',
    ]);
  });

  for (const c of cases) {
    it(`accounts for every line of ${c.name}`, async () => {
      const type = (c.format?.type as string | undefined) ?? 'csv';
      const file = join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}.${type}`);
      await writeFile(file, c.content);
      const out = `${file}.out`;
      const config = parseConfig({ pipelines: [{ name: 'eight', format: { type, ...c.format }, qualityGate: { maxRejectRatio: 1 }, schema }] });
      const run = runLocal({ config, files: [file], out, workers: 1 });
      if ('fails' in c.expected) {
        await expect(run).rejects.toThrow(c.expected.fails);
        return;
      }
      const [job] = await run;
      expect(job!.status).toBe('SUCCEEDED');
      const v = await verifyJob(job!.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
      const details = Object.fromEntries(v.checks.map((x) => [x.name, x.detail]));
      const a = job!.report!.accounting;
      expect({ rows: { in: a.rowsIn, out: a.rowsOut, rejected: a.rowsRejected }, failed: v.checks.filter((x) => !x.ok), lost: v.lost }).toEqual({ rows: c.expected.rows, failed: [], lost: 0 });
      for (const [name, detail] of Object.entries(c.expected.details)) expect([name, details[name]]).toEqual([name, detail]);
    });
  }
});
