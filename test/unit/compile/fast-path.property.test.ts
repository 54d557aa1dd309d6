import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk } from '../../../shared/process/chunk.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let n = 0;
/** Every chunk's parts, rejects and stats, with the generated line reader on or off. */
async function run(content: string | Buffer, partial: Record<string, unknown>, fastPath: boolean) {
  const name = `f${n++}.txt`;
  await writeFile(join(dir, name), content);
  const input = new FsObjectStore(dir);
  const output = new FsObjectStore(join(dir, `out-${n}`));
  const pipeline = pipelineOf(partial);
  const plan = await planChunks(input, name, pipeline);
  const out: unknown[] = [];
  for (const chunk of plan.chunks) {
    const r = await processChunk(pipeline, plan, chunk, { input, output, fastPath });
    const parts = await Promise.all(r.parts.map(async (p) => [p.key.split('/').slice(3).join('/'), (await output.get(p.key))!.toString(pipeline.output.format === 'parquet' ? 'base64' : 'utf8')]));
    const rejects = (r.rejects && (await output.get(r.rejects.key))?.toString()) ?? '';
    const { durationMs: _d, ...stats } = r.stats;
    out.push({ parts, rejects, stats, keyRuns: await Promise.all(Object.values(r.keyRuns).map(async (k) => (await output.get(k))!.toString('hex'))) });
  }
  return out;
}

// Cells a file may hold: plain values the fast path takes, and the unusual ones it must hand back.
const number = fc.oneof(
  fc.double({ min: -150, max: 150, noNaN: true }).map((x) => String(Math.round(x * 1000) / 1000)),
  fc.integer({ min: -200, max: 200 }).map(String),
  fc.constantFrom('1e5', '+5', '.5', '5.', '00.5', '-0', '0x10', 'NaN', 'Infinity', '1234567890123456', '0.1234567890123456', ' 5', '5 ', '-', '', 'NA', '-9999', '12abc', '٣'),
);
const stamp = fc.oneof(
  fc.date({ min: new Date('1999-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().replace(/[-:T]/g, '').slice(0, 12)),
  fc.constantFrom('999912312400', '999912312330', '201901012400', '201901012500', '201901012401', '201901010060', '201902290000', '202002290000', '201913010000', '20190101000', '2019010100000', '2019-01-01', 'NA', ''),
);
const site = fc.oneof(fc.constantFrom('US-Ha1', 'DE-Tha', 'FR-Pue'), fc.constantFrom('us-ha1', 'US-Ha', 'Ü-Ha1', 'US-Hä1', ''));
const flag = fc.constantFrom('0', '1', '2', '3', '4', '-1', '1.0', 'NA', '');
const bool = fc.constantFrom('true', 'false', 'TRUE', 'False', '1', '0', 'yes', 'NA', '');
const row = fc.tuple(site, stamp, stamp, number, number, flag, bool).map((cells) => cells.join('\t'));
const line = fc.oneof({ weight: 12, arbitrary: row }, fc.constantFrom('', 'US-Ha1\t201901010000', 'a\tb\tc\td\te\tf\tg\th', 'US-Ha1\t"201901010000"\t201901010030\t1\t2\t0\ttrue'));

const flux = {
  format: { type: 'tsv', nullValues: ['', 'NA', '-9999'] },
  schema: {
    columns: {
      SITE_ID: { type: 'string', required: true, pattern: '[A-Z]{2}-[A-Za-z0-9]{3}' },
      TIMESTAMP_START: { type: 'timestamp', format: 'YYYYMMDDHHmm', required: true },
      TIMESTAMP_END: { type: 'timestamp', format: 'YYYYMMDDHHmm', min: '2000-01-01T00:00:00Z' },
      NEE: { type: 'number', min: -100, max: 100 },
      TA: { type: 'number' },
      QC: { type: 'integer', min: 0, max: 3 },
      OK: { type: 'boolean' },
    },
  },
  rules: {
    row: [
      { name: 'end_after_start', expr: 'TIMESTAMP_END == null || TIMESTAMP_END > TIMESTAMP_START' },
      { name: 'warm', expr: 'TA == null || TA < 30.0', severity: 'warn' },
      { name: 'qc_known', expr: 'QC == null || QC in [0, 1, 2, 3]' },
    ],
    dataset: [{ type: 'unique', columns: ['SITE_ID', 'TIMESTAMP_START'], severity: 'warn' }],
  },
  transform: {
    derive: {
      year: 'int(TIMESTAMP_START.getFullYear())',
      NEE_gC: 'NEE == null ? null : dyn(NEE * 0.02162)',
      ratio: 'NEE == null || TA == null ? null : dyn(NEE / TA)',
      label: 'SITE_ID + "/" + string(QC == null ? -1 : QC)',
      scaled: 'QC == null ? 0 : QC * 1000000000000',
    },
    filter: 'OK == null || OK',
    cast: { year: 'string', QC: 'number' },
    rename: { NEE_gC: 'carbon' },
  },
  qualityGate: { maxRejectRatio: 1 },
};

describe('the generated line reader', () => {
  it('gives the same parts, rejects and stats as the general path on fuzzed flux files', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 0, maxLength: 60 }), fc.constantFrom('\n', '\r\n', '\r'), fc.integer({ min: 64, max: 2048 }), async (lines, eol, target) => {
        const content = `SITE_ID\tTIMESTAMP_START\tTIMESTAMP_END\tNEE\tTA\tQC\tOK${eol}${lines.join(eol)}${eol}`;
        const partial = { ...flux, chunking: { targetSize: target } };
        expect(await run(content, partial, true)).toEqual(await run(content, partial, false));
      }),
      {
        numRuns: 150,
        // Once seen to differ (not reproduced since): hours 24 and 25, CR-only lines.
        examples: [[['US-Ha1\t202209071225\t202702121528\t0\t0\t0\t', 'DE-Tha\t201901012500\t201507021159\tNaN\t0\t\tFalse', 'US-Ha1\t201901012400\t199901010000\t\t0\t2\t1'], '\r', 2045]],
      },
    );
  });

  it('gives the same parts, rejects and stats through the row kernel (no casts: JSON lines written in place)', async () => {
    const note = fc.constantFrom('plain', 'é', 'naïve café', 'a"b', 'back\\slash', '\u2028', '😀', '\u0001', 'ünïcödé ☃', '', 'NA');
    const noted = fc.tuple(row, note).map(([r, n]) => `${r}\t${n}`);
    const kernelLine = fc.oneof({ weight: 12, arbitrary: noted }, fc.constantFrom('', 'US-Ha1\t201901010000', 'US-Ha1\t"201901010000"\t201901010030\t1\t2\t0\ttrue\tx'));
    const { cast: _cast, ...transform } = flux.transform;
    const partial = {
      ...flux,
      schema: { columns: { ...flux.schema.columns, NOTE: { type: 'string' } } },
      rules: {
        ...flux.rules,
        dataset: [...flux.rules.dataset, { type: 'completeness', column: 'TIMESTAMP_START', interval: '30m', groupBy: ['SITE_ID'], min: 0, severity: 'warn' }],
      },
      transform,
    };
    await fc.assert(
      fc.asyncProperty(fc.array(kernelLine, { minLength: 0, maxLength: 60 }), fc.constantFrom('\n', '\r\n', '\r'), fc.integer({ min: 64, max: 2048 }), async (lines, eol, target) => {
        const content = `SITE_ID\tTIMESTAMP_START\tTIMESTAMP_END\tNEE\tTA\tQC\tOK\tNOTE${eol}${lines.join(eol)}${eol}`;
        const p = { ...partial, chunking: { targetSize: target } };
        expect(await run(content, p, true)).toEqual(await run(content, p, false));
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same results as the general path for quoted CSV, kept columns and header: false', async () => {
    const cell = fc.oneof(number, fc.constantFrom('"a,b"', '"x""y"', 'plain', 'é', '"line\nbreak"'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell, cell), { maxLength: 40 }), fc.boolean(), async (rows, header) => {
        const body = rows.map((r) => r.join(',')).join('\n');
        const partial = {
          format: { type: 'csv', header, nullValues: ['', 'NA'] },
          chunking: { targetSize: 128 },
          schema: { columns: { a: { type: 'number' }, b: { type: 'string' }, ...(header ? {} : { c: {} }) }, unknownColumns: 'keep' },
          qualityGate: { maxRejectRatio: 1 },
        };
        const content = header ? `a,b,c\n${body}\n` : `${body}\n`;
        expect(await run(content, partial, true)).toEqual(await run(content, partial, false));
      }),
      { numRuns: 100 },
    );
  });

  it('gives the same Parquet parts for quoted CSV with ISO timestamps, partitions and a same-type cast', async () => {
    const text = fc.constantFrom('"a,b"', '"x""y"', 'plain', '"é, ü"', '"line\nbreak"', '""', '"q"z', 'a"b', '"open', 'NULL', '"NULL"', '😀');
    const iso = fc.oneof(
      fc.date({ min: new Date('1999-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19) + (d.getUTCSeconds() % 2 ? 'Z' : '')),
      fc.date({ min: new Date('1999-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19).replace('T', ' ')),
      fc.constantFrom('2024-02-29T24:00:00Z', '2023-02-29T10:00:00', '2024-13-01T00:00:00', '2024-01-01T24:00:01', '2024-01-01T10:60:00', '2024-01-01t10:00:00', '2024-01-01T10:00:00z', '2024-01-01T10:00:00+02:00', '2024-01-01T10:00:00.5Z', '2024-01-01', '"2024-01-01T10:00:00Z"', ''),
    );
    const amount = fc.oneof(fc.integer({ min: -5, max: 2000 }).map((c) => (c / 100).toFixed(2)), fc.constantFrom('1e3', '-0', '12abc', '"5.00"', ''));
    const country = fc.constantFrom('US', 'DE', 'JP', 'XX', '"US"', '');
    const order = fc.tuple(text, iso, country, amount, text).map((cells) => cells.join(','));
    const partial = {
      format: { type: 'csv', nullValues: ['', 'NULL'] },
      schema: {
        columns: {
          id: { type: 'string', pattern: '[a-z"é ,ü]+' },
          ts: { type: 'timestamp', required: true, min: '2000-01-01T00:00:00Z' },
          country: { type: 'enum', values: ['US', 'DE', 'JP'] },
          amount: { type: 'number', min: 0, required: true },
          note: { type: 'string' },
        },
      },
      transform: { derive: { cents: 'int(amount * 100.0 + 0.5)' }, cast: { cents: 'integer' } },
      output: { format: 'parquet', partitionBy: ['country'] },
      rules: { dataset: [{ type: 'unique', columns: ['id', 'ts'], severity: 'warn' }] },
      qualityGate: { maxRejectRatio: 1 },
    };
    await fc.assert(
      fc.asyncProperty(fc.array(order, { maxLength: 60 }), fc.constantFrom('\n', '\r\n'), fc.integer({ min: 64, max: 2048 }), async (rows, eol, target) => {
        const content = `id,ts,country,amount,note${eol}${rows.join(eol)}${eol}`;
        const p = { ...partial, chunking: { targetSize: target } };
        expect(await run(content, p, true)).toEqual(await run(content, p, false));
      }),
      { numRuns: 120 },
    );
  });

  it('tells a number that is a null marker from one that only shares its value or length', async () => {
    const cell = fc.constantFrom('-9999', '-9999.0', '9999', '-999', '-99990', '-9999.5', '0.50', '0.5', '-0.50', '0.500', '50.0', '-0.0', '0.0', '-0', '0', '0.00', '7', '-1.25');
    const partial = {
      format: { type: 'tsv', nullValues: ['', '-9999', '0.50', '-0.0'] },
      schema: { columns: { a: { type: 'number' }, b: { type: 'number' }, q: { type: 'integer' } } },
      qualityGate: { maxRejectRatio: 1 },
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 40 }), async (rows) => {
        const content = `a\tb\tq\n${rows.map((r) => r.join('\t')).join('\n')}\n`;
        const fast = await run(content, partial, true);
        expect(fast).toEqual(await run(content, partial, false));
        // Independently: a cell is null exactly when its text is a marker.
        const parts = (fast as { parts: [string, string][] }[]).flatMap((c) => c.parts.map(([, text]) => text)).join('');
        const out = parts.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        const taken = rows.filter((r) => !/[.]/.test(r[2]) || ['0.50', '-0.0'].includes(r[2]));
        expect(out.length).toBe(taken.length);
        out.forEach((o, i) => {
          const r = taken[i]!;
          expect(o.a === null).toBe(['-9999', '0.50', '-0.0'].includes(r[0]));
          expect(o.b === null).toBe(['-9999', '0.50', '-0.0'].includes(r[1]));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('reads a file again with the same answers when the worker keeps its processor (the last-field memo starts over)', async () => {
    const partial = { format: { type: 'csv' }, schema: { columns: { a: { type: 'integer' }, b: {} } }, qualityGate: { maxRejectRatio: 1 } };
    const content = 'a,b\n2,y,z\n1,x\n';
    const first = await run(content, partial, true);
    const again = await run(content, partial, true);
    expect(again).toEqual(first);
    // The three-field line is a reject both times, and the general path agrees.
    expect((first[0] as { stats: { rowsRejected: number } }).stats.rowsRejected).toBe(1);
    expect(first).toEqual(await run(content, partial, false));
  });

  it('leaves room in the row kernel for a field that two output columns write', async () => {
    const wide = '中'.repeat(3000);
    const partial = { format: { type: 'csv' }, schema: { columns: { a: { source: 'x' }, b: { source: 'x' }, y: {} } }, qualityGate: { maxRejectRatio: 1 } };
    const content = `x,y\n${Array.from({ length: 400 }, (_, i) => `${wide}${i},${i}`).join('\n')}\n`;
    expect(await run(content, partial, true)).toEqual(await run(content, partial, false));
  });
});
