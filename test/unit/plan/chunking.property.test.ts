import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as csvParse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk } from '../../../shared/process/chunk.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const fieldChar = fc.constantFrom('a', 'b', 'Z', '1', ' ', ',', '"', '\n', '\r\n', 'é', '漢', '\t', ';');
const field = fc.array(fieldChar, { maxLength: 6 }).map((cs) => cs.join(''));

function quoteCsv(v: string): string {
  return /[",\n\r]/.test(v) || v === '' ? `"${v.replaceAll('"', '""')}"` : v;
}

let n = 0;
/** Runs every chunk of a plan in order and returns outputs and rejects as text, with the plan's chunk count. */
async function runAll(content: string | Buffer, partial: Record<string, unknown>) {
  const name = `f${n++}.txt`;
  await writeFile(join(dir, name), content);
  const input = new FsObjectStore(dir);
  const output = new FsObjectStore(join(dir, `out-${n}`));
  const pipeline = pipelineOf(partial);
  const plan = await planChunks(input, name, pipeline);
  const rows: string[] = [];
  const rejects: string[] = [];
  for (const chunk of plan.chunks) {
    const r = await processChunk(pipeline, plan, chunk, { input, output });
    for (const p of r.parts) rows.push((await output.get(p.key))!.toString());
    const rej = (r.rejects && (await output.get(r.rejects.key))?.toString()) ?? '';
    // Lines and chunk numbers differ by plan; the record text, offset and reasons must not.
    rejects.push(...rej.split('\n').filter(Boolean).map((l) => { const o = JSON.parse(l) as { offset: number; raw: string; errors: unknown }; return JSON.stringify([o.offset, o.raw, o.errors]); }));
  }
  return { out: rows.join(''), rejects, chunks: plan.chunks.length };
}

let multiChunk = 0;

/** Runs the content as one chunk and as chunks of `target` bytes; both must give the same outputs and rejects. */
async function expectSameAsOnePass(content: string, partial: Record<string, unknown>, target: number) {
  const whole = await runAll(content, { ...partial, chunking: { strategy: 'whole-file' } });
  // Quoted boundaries found in scan windows of one to three chunks (the windowed path of the plan).
  const chunked = await runAll(content, { ...partial, chunking: { targetSize: target, scanWindow: target * (1 + (target % 3)) } });
  if (chunked.chunks > 1) multiChunk++;
  expect(chunked.out).toBe(whole.out);
  expect(chunked.rejects).toEqual(whole.rejects);
  return whole;
}

const csvColumns = { format: { type: 'csv', nullValues: [] }, schema: { columns: { a: {}, b: {}, c: {} } } };

describe('chunk plans', () => {
  afterAll(() => {
    // The properties mean something only if many generated files really were split.
    expect(multiChunk).toBeGreaterThan(100);
  });

  it('give the same output as one sequential pass for quoted CSV (delimiters, newlines, CRLF, BOM, empty last line)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(field, field, field), { minLength: 1, maxLength: 25 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 8, max: 120 }),
        async (rows, eol, bom, trailing, target) => {
          const body = ['a,b,c', ...rows.map((r) => r.map(quoteCsv).join(','))].join(eol) + (trailing ? eol : '');
          const whole = await expectSameAsOnePass((bom ? '\uFEFF' : '') + body, csvColumns, target);
          // And the single pass agrees with an independent CSV parser.
          const expected = (csvParse(body, { bom: true, columns: true, relax_column_count: true }) as Record<string, string>[]).map((r) => JSON.stringify(r) + '\n').join('');
          expect(whole.out).toBe(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('give the same output as one pass when unquoted fields hold stray quotes (12" pipe) next to quoted newlines', async () => {
    const inch = fc.constantFrom('12" pipe', 'a"b', 'x""y', 'plain', '5"');
    const quoted = field.map((v) => `"${v.replaceAll('"', '""')}"`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(inch, quoted, fc.oneof(inch, quoted)), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 8, max: 120 }),
        async (rows, target) => {
          await expectSameAsOnePass(`a,b,c\n${rows.map((r) => r.join(',')).join('\n')}\n`, csvColumns, target);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('give the same output and rejects as one pass for hostile text: stray and unclosed quotes, CR-only lines, tiny maxLineBytes', async () => {
    const piece = fc.constantFrom('a', 'bc', ',', '"', '""', '\n', '\r', '\r\n', 'é', ' ', '"x",', ',"y"', 'long text here');
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { minLength: 0, maxLength: 80 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.integer({ min: 8, max: 96 }),
        fc.integer({ min: 12, max: 64 }),
        fc.boolean(),
        async (pieces, eol, target, maxLineBytes, relaxQuotes) => {
          const body = pieces.join('').replaceAll('\r\n', eol).replaceAll('\n', eol);
          const partial = { format: { type: 'csv', nullValues: [], maxLineBytes, relaxQuotes }, schema: { columns: { a: { allowMissing: true } }, unknownColumns: 'keep' } };
          await expectSameAsOnePass(`a,b,c${eol}${body}`, partial, target);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('give the same output and rejects as one pass for unquoted TSV with bad rows', async () => {
    const cell = fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.constantFrom('NA', '', 'x', '-9999'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 0, maxLength: 40 }),
        fc.integer({ min: 4, max: 64 }),
        fc.boolean(),
        async (rows, target, trailing) => {
          const content = ['a\tb\tc', ...rows.map((r) => r.join('\t'))].join('\n') + (trailing ? '\n' : '');
          const partial = {
            format: { type: 'tsv', nullValues: ['NA', '', '-9999'] },
            schema: { columns: { a: { type: 'integer', required: true }, b: { type: 'number', max: 100 }, c: { type: 'integer' } } },
          };
          await expectSameAsOnePass(content, partial, target);
        },
      ),
      { numRuns: 150 },
    );
  });
});
