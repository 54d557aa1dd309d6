import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../../shared/formats/delimited.js';
import { nextLineStart } from '../../../shared/plan/plan.js';
import { quotedRecordStarts } from '../../../shared/plan/record-starts.js';
import { resolveWindows, scanWindow, scanWindows, type ScanSettings } from '../../../shared/plan/windows.js';
import { readIndependent } from '../../../shared/verify/independent.js';
import { sourceOf } from '../../helpers.js';

// Quoted fields over lines, doubled and stray quotes, both line endings, comments, blank lines, invalid UTF-8.
const token = fc.constantFrom('a', 'bc', ',', '"', '""', '\n', '\n', '\r\n', '\r', '#', 'é', '\xff', '"x,\ny"', '"long\n\n\nfield"', '\n\n');
const noise = fc.array(token, { maxLength: 200 }).map((ts) => ts.join(''));
// Well-formed records whose quoted fields often hold line breaks, with a little noise between them.
const field = fc.oneof(fc.constantFrom('a', '12', '', 'é'), fc.array(fc.constantFrom('x', '\n', '""', ',', '\r\n'), { maxLength: 12 }).map((p) => `"${p.join('')}"`));
const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((fs) => fs.join(','));
const records = fc.array(fc.oneof({ weight: 9, arbitrary: record }, { weight: 1, arbitrary: token }), { maxLength: 60 }).map((rs) => `${rs.join('\n')}\n`);
const content = fc.oneof(noise, records);
const bytesOf = (s: string) => Buffer.concat(s.split('\xff').flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xff]), Buffer.from(part)])));

const firsts = (starts: readonly number[], from: number, size: number) => [...new Set(starts.filter((b) => b > from && b < size))].sort((a, b) => a - b);

describe('the boundary scan in windows', () => {
  it('finds the boundaries one scan of the whole file finds, for any windows, head size, dialect and limit', async () => {
    let met = 0;
    let rescanned = 0;
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.record({
          lineBreak: fc.constantFrom<Dialect['lineBreak']>('\n', '\r'),
          relaxQuotes: fc.boolean(),
          comment: fc.constantFrom('', '#'),
          maxLineBytes: fc.integer({ min: 4, max: 40 }),
          target: fc.integer({ min: 1, max: 60 }),
          perWindow: fc.integer({ min: 1, max: 5 }),
          sync: fc.integer({ min: 1, max: 80 }),
          start: fc.integer({ min: 0, max: 6 }),
          piece: fc.integer({ min: 1, max: 64 }),
        }),
        async (text, o) => {
          const bytes = bytesOf(text);
          const start = Math.min(bytes.length, o.start);
          const nominal: number[] = [];
          for (let b = start + o.target; b < bytes.length; b += o.target) nominal.push(b);
          const dialect: Dialect = { delimiter: ',', quote: '"', lineBreak: o.lineBreak, relaxQuotes: o.relaxQuotes, comment: o.comment };
          const source = sourceOf(bytes, [o.piece]);
          const read = (at: number) => source.read({ start: at, end: bytes.length });
          const expected = await quotedRecordStarts(read(start), start, nominal, dialect, o.maxLineBytes);

          const settings: ScanSettings = { dialect, maxLineBytes: o.maxLineBytes, size: bytes.length, sync: o.sync };
          const windows = scanWindows(start, nominal, o.target, o.target * o.perWindow);
          const scans = await Promise.all(windows.map(async (w) => scanWindow(w, w.index === 0 ? w.start : await nextLineStart(source, w.start, o.maxLineBytes, o.lineBreak), read, settings)));
          const got = await resolveWindows(windows, async (i) => scans[i]!, (w, from, meet) => scanWindow(w, from, read, settings, meet));
          if (windows.length > 1) {
            if (got.rescanned > 0) rescanned++;
            else met++;
          }
          expect(firsts(got.boundaries, start, bytes.length)).toEqual(firsts(expected, start, bytes.length));
        },
      ),
      { numRuns: 4000 },
    );
    // Both ways of resolving a window were taken.
    expect(met).toBeGreaterThan(200);
    expect(rescanned).toBeGreaterThan(50);
  });

  it('puts each boundary on the first record csv-parse strict starts at or after its nominal offset (well-formed quoted CSV)', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 80 }), async (text, target, perWindow, sync) => {
        const bytes = Buffer.from(text);
        const nominal: number[] = [];
        for (let b = target; b < bytes.length; b += target) nominal.push(b);
        const offsets: number[] = [];
        const format = { type: 'csv', delimiter: ',', quote: '"', relaxQuotes: false, header: false, maxLineBytes: 1000, skipCount: 0, skipLines: new Set<number>(), comment: '' } as const;
        const independent = await readIndependent([bytes], format, { onRecords: (batch) => void offsets.push(...batch.map((r) => r.offset)) });
        // Only files csv-parse reads whole (the noise tokens may make a record it refuses).
        fc.pre(independent.malformedLines.length === 0);
        const expected = firsts(nominal.map((n) => offsets.find((o) => o >= n) ?? -1), 0, bytes.length);
        const settings: ScanSettings = { dialect: { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false, comment: '' }, maxLineBytes: 1000, size: bytes.length, sync };
        const source = sourceOf(bytes, [17]);
        const read = (at: number) => source.read({ start: at, end: bytes.length });
        const windows = scanWindows(0, nominal, target, target * perWindow);
        const got = await resolveWindows(windows, async (i) => scanWindow(windows[i]!, i === 0 ? 0 : await nextLineStart(source, windows[i]!.start, 1000, '\n'), read, settings), (w, from, meet) => scanWindow(w, from, read, settings, meet));
        expect(firsts(got.boundaries, 0, bytes.length)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('splits the nominal boundaries into windows that start at one of them', () => {
    expect(scanWindows(10, [20, 30, 40, 50, 60], 10, 20)).toEqual([
      { index: 0, start: 10, end: 30, nominal: [20] },
      { index: 1, start: 30, end: 50, nominal: [40] },
      { index: 2, start: 50, end: -1, nominal: [60] },
    ]);
    expect(scanWindows(0, [5, 10], 5, 1000)).toEqual([{ index: 0, start: 0, end: -1, nominal: [5, 10] }]);
    expect(scanWindows(0, [5, 10], 5, 5)).toEqual([
      { index: 0, start: 0, end: 5, nominal: [] },
      { index: 1, start: 5, end: 10, nominal: [] },
      { index: 2, start: 10, end: -1, nominal: [] },
    ]);
  });

  it('takes a range of targets as every offset in it', async () => {
    await fc.assert(
      fc.asyncProperty(content, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 }), async (text, from, length) => {
        const bytes = bytesOf(text);
        const dialect: Dialect = { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false, comment: '' };
        const read = () => sourceOf(bytes, [7]).read();
        const points = Array.from({ length }, (_, i) => from + i);
        expect(await quotedRecordStarts(read(), 0, [{ from, to: from + length }], dialect, 30)).toEqual(await quotedRecordStarts(read(), 0, points, dialect, 30));
      }),
      { numRuns: 1000 },
    );
  });

  it('scans again a window whose guess starts inside a quoted field longer than its head (literal)', async () => {
    // The boundary at 8 falls inside the quoted field "…\n…" of the record at 4; the true next record is "z" at 19.
    const text = 'h,h\n"aaa\nbbbbbb\n",1\nz,2\nw,3\n';
    const bytes = Buffer.from(text);
    const dialect: Dialect = { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false, comment: '' };
    const source = sourceOf(bytes, [5]);
    const read = (at: number) => source.read({ start: at, end: bytes.length });
    const settings: ScanSettings = { dialect, maxLineBytes: 100, size: bytes.length, sync: 2 };
    const windows = scanWindows(4, [8, 12, 16, 20, 24], 4, 4);
    const scans = await Promise.all(windows.map(async (w) => scanWindow(w, w.index === 0 ? w.start : await nextLineStart(source, w.start, 100, '\n'), read, settings)));
    const got = await resolveWindows(windows, async (i) => scans[i]!, (w, from, meet) => scanWindow(w, from, read, settings, meet));
    expect(firsts(got.boundaries, 4, bytes.length)).toEqual([20, 24]);
    expect(got.rescanned).toBeGreaterThan(0);
  });
});

describe('the boundary scan in windows of a file with long quoted fields', () => {
  it('meets the true starts in each head (two of the longest records), so no window is scanned again, and plans what one scan plans', async () => {
    const { FsObjectStore } = await import('../../../shared/local/fs-object-store.js');
    const { planChunks } = await import('../../../shared/plan/plan.js');
    const { pipelineOf, tempDir } = await import('../../helpers.js');
    const { writeFile } = await import('node:fs/promises');
    const { dir, cleanup } = await tempDir();
    try {
      // 40 records, each with a 150 KB quoted field of 80-character lines: most window starts fall inside one.
      const field = (i: number) => `"${Array.from({ length: 1875 }, (_, l) => `${i}:${l} `.padEnd(79, 'x')).join('\n')}"`;
      await writeFile(`${dir}/long.csv`, `id,note\n${Array.from({ length: 40 }, (_, i) => `${i},${field(i)}`).join('\n')}\n`);
      const plan = (scanWindow: number) => planChunks(new FsObjectStore(dir), 'long.csv', pipelineOf({ format: { type: 'csv', maxLineBytes: 200_000 }, chunking: { targetSize: 100_000, scanWindow }, schema: { columns: { id: {}, note: {} } } }));
      const windowed = await plan(400_000);
      const one = await plan(10_000_000);
      expect(windowed.method).toMatch(/in 16 windows$/);
      expect(windowed.chunks).toEqual(one.chunks);
      expect(one.chunks.length).toBeGreaterThan(25);
      // One machine (sluice run, sluice plan) scans in one pass whatever the window.
      const { planJob } = await import('../../../shared/jobs/steps.js');
      const local = await planJob(pipelineOf({ format: { type: 'csv', maxLineBytes: 200_000 }, chunking: { targetSize: 100_000, scanWindow: 400_000 }, schema: { columns: { id: {}, note: {} } } }), 'long.csv', { objects: new FsObjectStore(dir) });
      expect(local.method).toBe('bytes: ~100000 per chunk; boundaries from a quote-aware scan');
      expect(local.chunks).toEqual(one.chunks);
    } finally {
      await cleanup();
    }
  });
});
