import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Pipeline } from '../../../shared/config/schema.js';
import type * as Records from '../../../shared/formats/records.js';
import type { ReadTotals, SourceRecord } from '../../../shared/formats/records.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { writeJobManifest } from '../../../shared/plan/manifest.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk } from '../../../shared/process/chunk.js';
import { finalizeJob } from '../../../shared/report/finalize.js';
import { verifyJob } from '../../../shared/verify/verify.js';
import { pipelineOf, tempDir } from '../../helpers.js';

// The engine's reader with a deliberate mistake, the same in the job and in verify's fresh pass
// (both run in this process), as the reader's old mistakes were: only the independent reader
// can then see that something is wrong.
type Fault = { record?: (rec: SourceRecord, emit: (rec: SourceRecord) => void) => void; totals?: (t: ReadTotals) => ReadTotals };
let fault: Fault = {};

vi.mock('../../../shared/formats/records.js', async (importOriginal) => {
  const real = await importOriginal<typeof Records>();
  return {
    ...real,
    readRecords: async (source: AsyncIterable<Uint8Array>, options: Parameters<typeof real.readRecords>[1], onRecord: (rec: SourceRecord) => void, onBlockEnd: () => Promise<void> | void) => {
      const { record, totals } = fault;
      const t = await real.readRecords(source, options, record ? (rec) => record(rec, onRecord) : onRecord, onBlockEnd);
      return totals ? totals(t) : t;
    },
  };
});

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const schema = { columns: { id: { type: 'integer' }, qty: { type: 'integer' }, note: { type: 'string' } } };

/** A job run in this process (plan, every chunk on the general path, finalize), then verified. */
async function runAndVerify(name: string, content: string, pipeline: Pipeline, withFault: Fault) {
  await writeFile(join(dir, name), content);
  const input = new FsObjectStore(dir);
  const output = new FsObjectStore(join(dir, `out-${name}`));
  fault = withFault;
  try {
    const plan = await planChunks(input, name, pipeline);
    await writeJobManifest(output, plan, pipeline);
    const results = [];
    for (const chunk of plan.chunks) results.push(await processChunk(pipeline, plan, chunk, { input, output, fastPath: false }));
    const { report } = await finalizeJob(pipeline, plan, results, output, '2026-12-01T00:00:00.000Z');
    const v = await verifyJob(plan.jobId, { input, output });
    return { report, ...v, failed: Object.fromEntries(v.checks.filter((c) => !c.ok).map((c) => [c.name, c.detail])) };
  } finally {
    fault = {};
  }
}

const csv = pipelineOf({ format: { type: 'csv' }, qualityGate: { maxRejectRatio: 1 }, schema });
const swap = (rec: SourceRecord, patch: Partial<SourceRecord>): SourceRecord => ({ ...rec, ...patch, raw: () => rec.raw(), offset: () => rec.offset() });

describe('sluice verify fails on an engine whose reader is wrong the same way twice', () => {
  it('passes the same job when the reader is right', async () => {
    const v = await runAndVerify('right.csv', 'id,qty,note\n1,5,"Leave it by the door\n2,6,ok\n3,7,"quoted"\n', csv, {});
    expect([v.ok, v.lost, v.failed]).toEqual([true, 0, {}]);
  });

  it('catches a stray quote that swallows the records after it', async () => {
    // The old reader: one record from line 2 to 4, read as a valid row.
    const v = await runAndVerify('stray.csv', 'id,qty,note\n1,5,"Leave it by the door\n2,6,ok\n3,7,"quoted"\n', csv, {
      record: (rec, emit) => {
        if (rec.line === 1) emit(swap(rec, { fields: ['1', '5', 'Leave it by the door\n2,6,ok\n3,7,quoted"'], malformed: undefined }));
      },
    });
    expect(v.report.accounting).toMatchObject({ rowsIn: 1, rowsOut: 1, balanced: true });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 2, 0]);
    expect(v.failed).toEqual({
      'independent records': 'records: the engine read 1, csv-parse strict reads 3',
      'independent record starts': 'first disagreement at line 3: record 2 starts at line 3 for csv-parse strict, at line (none) for the engine',
      'independent malformed': 'csv-parse strict finds 1 malformed (lines 2), the engine rejected 0 as malformed (lines none); first disagreement at line 2',
      'independent values': 'id: the output holds 1 non-null values, csv-parse strict reads 2 in records not rejected; qty: the output holds 1 non-null values, csv-parse strict reads 2 in records not rejected; note: the output holds 1 non-null values, csv-parse strict reads 2 in records not rejected',
    });
  });

  it('catches a CR-only file read as a header alone', async () => {
    const v = await runAndVerify('cr.csv', 'id,qty,note\r1,5,a\r2,6,b\r3,7,c\r', csv, { record: () => undefined, totals: (t) => ({ ...t, lines: 0 }) });
    expect(v.report.accounting).toMatchObject({ rowsIn: 0, rowsOut: 0 });
    expect([v.ok, v.lost]).toEqual([false, 3]);
    expect(v.failed).toEqual({
      'independent lines': '4 physical lines (a plain count of line breaks); the engine accounts for 1 (1 header + 0 read + 0 skipped), 0 of them blank; csv-parse strict: 1 header + 3 in records + 0 blank = 4',
      'independent records': 'records: the engine read 0, csv-parse strict reads 3',
      'independent record starts': 'first disagreement at line 2: record 1 starts at line 2 for csv-parse strict, at line (none) for the engine',
      'independent values': 'id: the output holds 0 non-null values, csv-parse strict reads 3 in records not rejected; qty: the output holds 0 non-null values, csv-parse strict reads 3 in records not rejected; note: the output holds 0 non-null values, csv-parse strict reads 3 in records not rejected',
    });
  });

  it('catches a line of spaces counted as blank', async () => {
    const v = await runAndVerify('spaces.csv', 'id,qty,note\n1,5,a\n   \n2,6,b\n', csv, {
      record: (rec, emit) => {
        if (rec.fields?.join(',').trim() !== '') emit(rec);
      },
      totals: (t) => ({ ...t, blankLines: t.blankLines + 1 }),
    });
    expect([v.ok, v.lost]).toEqual([false, 1]);
    expect(v.failed).toEqual({
      'independent lines': '4 physical lines (a plain count of line breaks); the engine accounts for 4 (1 header + 3 read + 0 skipped), 1 of them blank; csv-parse strict: 1 header + 3 in records + 0 blank = 4',
      'independent records': 'records: the engine read 2, csv-parse strict reads 3',
      'independent record starts': 'first disagreement at line 3: record 2 starts at line 3 for csv-parse strict, at line 4 for the engine',
      // The line of spaces is in no output or reject, so its one (non-null) field is missing too.
      'independent values': 'id: the output holds 2 non-null values, csv-parse strict reads 3 in records not rejected',
    });
  });

  it('catches every value read as null (header: false read by name, as it once was)', async () => {
    const v = await runAndVerify('positional.csv', '1,5,ok\n2,6,fine\n3,7,good\n', pipelineOf({ format: { type: 'csv', header: false }, qualityGate: { maxRejectRatio: 1 }, schema }), {
      record: (rec, emit) => emit(swap(rec, { fields: ['', '', ''] })),
    });
    expect(v.report.accounting).toMatchObject({ rowsIn: 3, rowsOut: 3 });
    expect([v.ok, v.lost]).toEqual([false, 0]);
    expect(v.failed).toEqual({
      'independent values': 'id: the output holds 0 non-null values, csv-parse strict reads 3 in records not rejected; qty: the output holds 0 non-null values, csv-parse strict reads 3 in records not rejected; note: the output holds 0 non-null values, csv-parse strict reads 3 in records not rejected',
    });
  });

  it('catches text after a closing quote accepted as data', async () => {
    const v = await runAndVerify('after.csv', 'id,qty,note\n1,5,"ok"x\n2,6,b\n', csv, {
      record: (rec, emit) => emit(rec.malformed ? swap(rec, { fields: ['1', '5', 'okx'], malformed: undefined }) : rec),
    });
    expect(v.report.accounting).toMatchObject({ rowsIn: 2, rowsOut: 2, rowsRejected: 0 });
    expect([v.ok, v.lost]).toEqual([false, 0]);
    expect(v.failed).toEqual({
      'independent malformed': 'csv-parse strict finds 1 malformed (lines 2), the engine rejected 0 as malformed (lines none); first disagreement at line 2',
      'independent values': 'id: the output holds 2 non-null values, csv-parse strict reads 1 in records not rejected; qty: the output holds 2 non-null values, csv-parse strict reads 1 in records not rejected; note: the output holds 2 non-null values, csv-parse strict reads 1 in records not rejected',
    });
  });

  it('catches a JSONL line of spaces counted as blank', async () => {
    const jsonl = pipelineOf({ format: { type: 'jsonl' }, qualityGate: { maxRejectRatio: 1 }, schema });
    const v = await runAndVerify('spaces.jsonl', '{"id":1,"qty":5}\n  \n{"id":2,"qty":6}\n', jsonl, {
      record: (rec, emit) => {
        if (rec.line !== 2) emit(rec);
      },
      totals: (t) => ({ ...t, blankLines: t.blankLines + 1 }),
    });
    expect([v.ok, v.lost]).toEqual([false, 1]);
    expect(v.failed).toEqual({
      'independent lines': '3 physical lines (a plain count of line breaks); the engine accounts for 3 (0 header + 3 read + 0 skipped), 1 of them blank; JSON.parse: 0 header + 3 in records + 0 blank = 3',
      'independent records': 'records: the engine read 2, JSON.parse reads 3',
      'independent record starts': 'first disagreement at line 2: record 2 starts at line 2 for JSON.parse, at line 3 for the engine',
      'independent malformed': 'JSON.parse finds 1 malformed (lines 2), the engine rejected 0 as malformed (lines none); first disagreement at line 2',
    });
  });
});
