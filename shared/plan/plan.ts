import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { dialectOf, parseByteSize, pipelineHash } from '../config/resolve.js';
import { readSheetHead } from '../formats/xlsx.js';
import type { Pipeline } from '../config/schema.js';
import { InputError } from '../errors.js';
import { detectLineBreak, tokenizeBlock, type Dialect } from '../formats/delimited.js';
import { classifyReadError } from '../formats/read-errors.js';
import { readRecords } from '../formats/records.js';
import type { ObjectStore } from '../store/object-store.js';
import { quotedRecordStarts } from './record-starts.js';
import { resolveWindows, scanWindow, scanWindows, syncBytes, type ScanWindow, type WindowScan } from './windows.js';

/** One record-aligned byte range of the input. `end` is exclusive. */
export interface ChunkRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** How a file will be processed. Small enough to pass through a state machine (well under 256 KiB for ~2,000 chunks). */
export interface JobPlan {
  readonly jobId: string;
  readonly pipeline: string;
  readonly pipelineHash: string;
  readonly input: { readonly key: string; readonly size: number; readonly etag: string; readonly versionId?: string };
  readonly compression: 'gzip' | 'none';
  readonly header: readonly string[] | undefined;
  /** Physical lines taken by the header record. */
  readonly headerLines: number;
  /** Lines skipped above the header (format.skipRows, comments); absent in plans made before. The first data line is skippedBefore + headerLines + 1. */
  readonly skippedBefore?: number;
  /** Byte offsets of the skipRows lines after the header, which the reader skips. */
  readonly skipOffsets?: readonly number[];
  /** Byte offset of the first data record (after BOM and header). */
  readonly dataStart: number;
  /** The file's line break, from its first one: `\n` (LF or CRLF) or `\r` (CR only). */
  readonly lineBreak: '\n' | '\r';
  /** How boundaries were found, or why the file is one chunk. */
  readonly method: string;
  readonly chunks: readonly ChunkRange[];
}

/** A deterministic job id: the same object version and config always give the same id. */
export function jobIdFor(pipeline: Pipeline, input: { key: string; etag: string; size: number; versionId?: string }): string {
  const h = createHash('sha256')
    .update([pipeline.name, pipelineHash(pipeline), input.key, input.versionId ?? input.etag, input.size].join('\u0000'))
    .digest('hex');
  return `${pipeline.name.slice(0, 40)}-${h.slice(0, 24)}`;
}

const WINDOW = 64 * 1024;

/**
 * A plan whose quote-aware boundary scan is still to run, in windows (see windows.ts): all the
 * plan but its chunks, and what each window's scan needs. JSON, so a Map can hand it on.
 */
export interface PendingPlan {
  readonly plan: Omit<JobPlan, 'chunks'>;
  readonly dialect: Dialect;
  readonly maxLineBytes: number;
  readonly windows: readonly ScanWindow[];
}

/** A plan, or the windows still to scan for it. */
export type PlanDraft = { readonly plan: JobPlan; readonly pending?: undefined } | { readonly pending: PendingPlan; readonly plan?: undefined };

/**
 * Plans record-aligned chunks, reading only the header and a small window at each boundary (plus
 * a quote scan for quoted formats, window by window for a file of several windows). With
 * `version`, plans that version of the object (the one an event announced) rather than whatever
 * the key holds now.
 */
export async function planChunks(store: ObjectStore, key: string, pipeline: Pipeline, version?: JobPlan['input'], options?: DraftOptions): Promise<JobPlan> {
  const draft = await draftPlan(store, key, pipeline, version, options);
  if (draft.plan) return draft.plan;
  // Each window scanned as the resolve reaches it, as the cloud's Map would have scanned it.
  return completePlan(store, draft.pending, (i) => scanPendingWindow(store, draft.pending, i));
}

/** `windows: false` scans a quoted file in one pass whatever its size (one process that reads it all anyway). */
export interface DraftOptions {
  readonly windows?: boolean;
}

/**
 * The plan, when it needs no window scans; else what the scans need. A quoted file of more than
 * one `chunking.scanWindow` is scanned in windows, unless `windows` is false.
 */
export async function draftPlan(store: ObjectStore, key: string, pipeline: Pipeline, version?: JobPlan['input'], options: DraftOptions = {}): Promise<PlanDraft> {
  const info = version ?? (await store.head(key));
  if (!info) throw new InputError(key, 0, 'file not found');
  // Every read is of one version: a plan never mixes the bytes of two uploads.
  const source: Source = { key, size: info.size, read: (range) => store.read(key, range, info) };
  const gzip = pipeline.format.compression === 'gzip' || (pipeline.format.compression === 'auto' && (key.endsWith('.gz') || (await isGzip(source))));
  const base = {
    jobId: jobIdFor(pipeline, { key, etag: info.etag, size: info.size, versionId: info.versionId }),
    pipeline: pipeline.name,
    pipelineHash: pipelineHash(pipeline),
    input: { key, size: info.size, etag: info.etag, ...(info.versionId ? { versionId: info.versionId } : {}) },
  };
  if (pipeline.format.type === 'xlsx') {
    // A workbook is a zip: it cannot be split by byte range, so it is one chunk.
    const head = await readSheetHead(source.read(), pipeline.format, key).catch((e: unknown) => {
      throw classifyReadError(e, key);
    });
    return { plan: { ...base, compression: 'none', ...head, dataStart: 0, lineBreak: '\n', method: 'whole-file: a workbook is one chunk', chunks: [{ index: 0, start: 0, end: info.size }] } };
  }
  if (gzip) {
    const head = await readHeader(Readable.from(source.read()).pipe(createGunzip()), key, pipeline).catch((e: unknown) => {
      throw classifyReadError(e, key);
    });
    return { plan: { ...base, compression: 'gzip', ...head, method: 'whole-file: gzip cannot be split by byte range', chunks: [{ index: 0, start: 0, end: info.size }] } };
  }
  const head = await readHeader(source.read({ start: 0, end: Math.min(info.size, pipeline.format.maxLineBytes + 8) }), key, pipeline);
  const { dataStart } = head;
  const dialect = dialectOf(pipeline, head.lineBreak);
  const one = (method: string): PlanDraft => ({ plan: { ...base, compression: 'none', ...head, method, chunks: [{ index: 0, start: dataStart, end: info.size }] } });
  if (pipeline.chunking.strategy === 'whole-file') return one('whole-file: as configured');

  let target = parseByteSize(pipeline.chunking.targetSize);
  let method = `bytes: ~${target} per chunk`;
  if (pipeline.chunking.strategy === 'rows') {
    const bytesPerRow = await sampleRowBytes(source, dataStart, dialect.lineBreak.charCodeAt(0));
    target = Math.max(WINDOW, Math.round(bytesPerRow * pipeline.chunking.targetRows));
    method = `rows: ~${pipeline.chunking.targetRows} rows per chunk (${bytesPerRow.toFixed(0)} B/row sampled)`;
  }
  if (info.size - dataStart <= target) return one(`${method}; file fits in one chunk`);
  const nominal: number[] = [];
  for (let b = dataStart + target; b < info.size; b += target) nominal.push(b);
  const plan = { ...base, compression: 'none' as const, ...head, method };
  if (dialect.quote === '') {
    const boundaries = await Promise.all(nominal.map((b) => nextLineStart(source, b, pipeline.format.maxLineBytes, dialect.lineBreak)));
    return { plan: withChunks(plan, boundaries) };
  }
  const windows = scanWindows(dataStart, nominal, target, parseByteSize(pipeline.chunking.scanWindow));
  if (!byteScannable(pipeline, dialect) || windows.length === 1 || options.windows === false) {
    const boundaries = await recordBoundaries(source, key, pipeline, dataStart, nominal, dialect);
    return { plan: withChunks({ ...plan, method: `${method}; boundaries from a quote-aware scan` }, boundaries) };
  }
  return { pending: { plan, dialect, maxLineBytes: pipeline.format.maxLineBytes, windows } };
}

/** Scans window `index` of a pending plan from its guessed start: the first line start in it. */
export async function scanPendingWindow(store: ObjectStore, pending: PendingPlan, index: number): Promise<WindowScan> {
  const window = pending.windows[index];
  if (!window) throw new Error(`no window ${index} in the plan of ${pending.plan.jobId}`);
  const source = pendingSource(store, pending);
  const from = index === 0 ? window.start : await nextLineStart(source, window.start, pending.maxLineBytes, pending.dialect.lineBreak);
  return windowScanner(source, pending)(window, from);
}

/** Scans a window of the pending plan from `from` (until it meets `meet`, when given). */
function windowScanner(source: Source, pending: PendingPlan): (window: ScanWindow, from: number, meet?: ReadonlySet<number>) => Promise<WindowScan> {
  const settings = { dialect: pending.dialect, maxLineBytes: pending.maxLineBytes, size: source.size };
  return (window, from, meet) => scanWindow(window, from, windowReader(source, window, pending.maxLineBytes), settings, meet);
}

/**
 * Reads for a window's scan: up to its tail's end and a margin in one ranged read, then onward
 * in steps of 1 MiB only while the scan still wants bytes (a record across the tail's end), so no
 * request asks for much more than the window.
 */
function windowReader(source: Source, window: ScanWindow, maxLineBytes: number): (start: number) => AsyncIterable<Uint8Array> {
  const until = window.end < 0 ? source.size : window.end + syncBytes(maxLineBytes) + WINDOW;
  return async function* (start) {
    let at = start;
    let end = Math.min(source.size, Math.max(until, start + WINDOW));
    while (at < source.size) {
      yield* source.read({ start: at, end });
      at = end;
      end = Math.min(source.size, at + (1 << 20));
    }
  };
}

/**
 * The plan from its windows' scans, taken one at a time in order; a window whose guess met no
 * true record start in its head is scanned again here, until it meets the guess.
 */
export async function completePlan(store: ObjectStore, pending: PendingPlan, scanOf: (index: number) => Promise<WindowScan>): Promise<JobPlan> {
  const { boundaries, rescanned } = await resolveWindows(pending.windows, scanOf, windowScanner(pendingSource(store, pending), pending));
  const method = `${pending.plan.method}; boundaries from a quote-aware scan in ${pending.windows.length} windows${rescanned ? ` (${rescanned} scanned again from a true record start)` : ''}`;
  return withChunks({ ...pending.plan, method }, boundaries);
}

function pendingSource(store: ObjectStore, pending: PendingPlan): Source {
  const { input } = pending.plan;
  return { key: input.key, size: input.size, read: (range) => store.read(input.key, range, input) };
}

/** The plan's chunks from its boundaries: the first at the data start, none empty. */
function withChunks(plan: Omit<JobPlan, 'chunks'>, boundaries: readonly number[]): JobPlan {
  const { dataStart, input } = plan;
  const starts = [dataStart, ...new Set(boundaries.filter((b) => b > dataStart && b < input.size))].sort((a, b) => a - b);
  return { ...plan, chunks: starts.map((start, index) => ({ index, start, end: starts[index + 1] ?? input.size })) };
}

/** One object version, as the planner reads it. */
export interface Source {
  readonly key: string;
  readonly size: number;
  read(range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
}

async function isGzip(source: Source): Promise<boolean> {
  if (source.size < 2) return false;
  for await (const c of source.read({ start: 0, end: 2 })) return c[0] === 0x1f && c[1] === 0x8b;
  return false;
}

/** The plan's chunk count, from a whole plan or from its head (which lists no chunks; see readJobPlanHead). */
export function chunkCountOf(plan: JobPlan & { readonly chunkCount?: number }): number {
  return plan.chunkCount ?? plan.chunks.length;
}

/** Lines before the first data line: those skipped above the header, then the header's. */
export function linesBeforeData(plan: Pick<JobPlan, 'headerLines' | 'skippedBefore'>): number {
  return (plan.skippedBefore ?? 0) + plan.headerLines;
}

type Head = Pick<JobPlan, 'header' | 'headerLines' | 'skippedBefore' | 'skipOffsets' | 'dataStart' | 'lineBreak'>;

/**
 * Reads the start of the file: the lines skipped above the header (skipRows, comments), the
 * header record (its fields and lines), where the data starts, the skipRows lines after the
 * header (as byte offsets), and the file's line break.
 */
async function readHeader(source: AsyncIterable<Uint8Array>, key: string, pipeline: Pipeline): Promise<Head> {
  // The whole window, however the bytes arrive: a header quoted over lines, or a CR at a piece's
  // end, must read the same from a file and from S3.
  const bufs: Buffer[] = [];
  let total = 0;
  const limit = pipeline.format.maxLineBytes + 8;
  for await (const c of source) {
    bufs.push(Buffer.from(c));
    total += c.byteLength;
    if (total >= limit) break;
  }
  const bytes = Buffer.concat(bufs).subarray(0, limit);
  const whole = total < limit;
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const lineBreak = detectLineBreak(bytes.subarray(bom));
  const { skipRows, comment } = pipeline.format;
  const hasHeader = pipeline.format.header && pipeline.format.type !== 'jsonl';
  const before = skippedAbove(bytes, bom, lineBreak.charCodeAt(0), skipRows, comment, whole, key);
  if (!hasHeader) {
    return { header: undefined, headerLines: 0, skippedBefore: before.lines, skipOffsets: listedAfter(bytes, before.end, before.lines + 1, lineBreak.charCodeAt(0), skipRows, whole, key), dataStart: before.end, lineBreak };
  }
  if (bytes.length === bom) throw new InputError(key, 1, `file is empty${bom ? ' (only a byte-order mark)' : ''}: expected a header line`);
  const headerLine = before.lines + 1;
  if (before.end >= bytes.length && whole) throw new InputError(key, headerLine, `no header line after the ${before.lines} skipped line(s)`);
  const from = before.end;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(from));
  } catch {
    // A cut multi-byte character at the window's end is fine; anything else is not.
    text = bytes.subarray(from).toString('utf8');
    const lineEnd = text.indexOf(lineBreak);
    if (text.slice(0, lineEnd === -1 ? text.length - 1 : lineEnd).includes('\uFFFD')) throw new InputError(key, headerLine, 'the header is not valid UTF-8');
  }
  let header: string[] | undefined;
  let end = 0;
  let lines = 0;
  let malformed: string | undefined;
  const dialect = dialectOf(pipeline, lineBreak);
  tokenizeBlock(text, { ...dialect, comment: '' }, 1, whole, pipeline.format.maxLineBytes, (fields, start, recordEnd, _line, bad) => {
    if (header || malformed) return;
    if (bad) malformed = bad;
    header = fields;
    end = recordEnd;
    lines = Math.max(1, text.slice(start, recordEnd).split(lineBreak).length - 1);
  });
  if (malformed) throw new InputError(key, headerLine, `the header cannot be read: ${malformed}`);
  if (!header) throw new InputError(key, headerLine, `header line longer than maxLineBytes (${pipeline.format.maxLineBytes})`);
  if (header.length === 1 && header[0] === '') throw new InputError(key, headerLine, 'header line is empty');
  const dataStart = from + Buffer.byteLength(text.slice(0, end));
  const skipOffsets = listedAfter(bytes, dataStart, headerLine + lines, lineBreak.charCodeAt(0), skipRows, whole, key);
  return { header, headerLines: lines, skippedBefore: before.lines, skipOffsets, dataStart, lineBreak };
}

/**
 * The lines skipped above the first record: the first `skipRows` lines (a count), or the listed
 * lines and comments as long as they come one after another from the top. Counted on bytes.
 */
function skippedAbove(bytes: Buffer, from: number, lineByte: number, skipRows: number | readonly number[], comment: string | undefined, whole: boolean, key: string): { lines: number; end: number } {
  const listed = typeof skipRows === 'number' ? undefined : new Set(skipRows);
  const count = typeof skipRows === 'number' ? skipRows : 0;
  const prefix = comment === undefined ? undefined : Buffer.from(comment, 'utf8');
  let pos = from;
  let line = 1;
  for (; pos < bytes.length; line++) {
    const skip = line <= count || listed?.has(line) || (prefix !== undefined && bytes.subarray(pos, pos + prefix.length).equals(prefix));
    if (!skip) break;
    const nl = bytes.indexOf(lineByte, pos);
    if (nl === -1) {
      if (!whole) throw new InputError(key, line, `format.skipRows: line ${line} is skipped but does not end within the first maxLineBytes of the file`);
      pos = bytes.length;
      line++;
      break;
    }
    pos = nl + 1;
  }
  return { lines: line - 1, end: pos };
}

/** Byte offsets of the listed skipRows lines from line `firstLine` (at byte `from`) on; they must start within the planner's window. */
function listedAfter(bytes: Buffer, from: number, firstLine: number, lineByte: number, skipRows: number | readonly number[], whole: boolean, key: string): number[] {
  if (typeof skipRows === 'number') return [];
  const wanted = [...new Set(skipRows)].filter((l) => l >= firstLine).sort((a, b) => a - b);
  const out: number[] = [];
  let pos = from;
  let line = firstLine;
  for (const target of wanted) {
    while (line < target) {
      const nl = bytes.indexOf(lineByte, pos);
      if (nl === -1) {
        if (whole) return out; // the file ends before it: nothing to skip
        throw new InputError(key, target, `format.skipRows: line ${target} starts past the first maxLineBytes of the file; skipped lines must be near the top`);
      }
      pos = nl + 1;
      line++;
    }
    if (pos < bytes.length || !whole) out.push(pos);
  }
  return out;
}

/** First byte after the first line break at or after `from` (never splits a line). */
export async function nextLineStart(source: Source, from: number, maxLine: number, lineBreak: string): Promise<number> {
  const lineByte = lineBreak.charCodeAt(0);
  const { size } = source;
  // The byte before `from` tells whether `from` already starts a line.
  let pos = from - 1;
  while (pos < size) {
    const end = Math.min(size, pos + WINDOW);
    let at = 0;
    for await (const c of source.read({ start: pos, end })) {
      const i = Buffer.from(c.buffer, c.byteOffset, c.byteLength).indexOf(lineByte);
      if (i !== -1) return pos + at + i + 1;
      at += c.byteLength;
    }
    pos = end;
    if (pos - from > maxLine + WINDOW) break;
  }
  return size;
}

/**
 * The first record that starts at or after each nominal boundary, where one pass of the reader
 * would start it: found on the bytes (ASCII dialects), or by streaming the file through the reader.
 */
async function recordBoundaries(source: Source, key: string, pipeline: Pipeline, start: number, nominal: number[], dialect: Dialect): Promise<number[]> {
  if (byteScannable(pipeline, dialect)) return quotedRecordStarts(source.read({ start, end: source.size }), start, nominal, dialect, pipeline.format.maxLineBytes);
  return readerRecordStarts(source, key, pipeline, start, nominal, dialect);
}

/** Whether boundaries can be found on the bytes (quotedRecordStarts): ASCII quote, delimiter and comment. */
function byteScannable(pipeline: Pipeline, dialect: Dialect): boolean {
  const ascii = (s: string | undefined) => !s || [...s].every((c) => c.charCodeAt(0) < 0x80);
  return pipeline.format.type !== 'jsonl' && ascii(dialect.quote) && ascii(dialect.delimiter) && ascii(dialect.comment);
}

/** The same as `quotedRecordStarts`, by the reader itself: for dialects whose quote, delimiter or comment is not ASCII. */
export async function readerRecordStarts(source: Source, key: string, pipeline: Pipeline, start: number, nominal: number[], dialect: Dialect): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  // Reading ends once the last boundary is found: the rest of the file holds none.
  const bytes = source.read({ start, end: source.size });
  const untilDone = (async function* () {
    for await (const c of bytes) {
      yield c;
      if (next >= nominal.length) return;
    }
  })();
  await readRecords(
    untilDone,
    { file: key, format: pipeline.format.type === 'jsonl' ? 'jsonl' : 'csv', dialect, startOffset: start, startLine: 1, maxLineBytes: pipeline.format.maxLineBytes, stripBom: false },
    (rec) => {
      if (next >= nominal.length) return;
      const at = rec.offset();
      if (at < nominal[next]!) return;
      out.push(at);
      while (next < nominal.length && nominal[next]! <= at) next++;
    },
    () => undefined,
  );
  return out;
}

/** Average bytes per record in a sample after the header, for the rows strategy. */
async function sampleRowBytes(source: Source, start: number, lineByte: number): Promise<number> {
  const { size } = source;
  let lines = 0;
  let bytes = 0;
  for await (const c of source.read({ start, end: Math.min(size, start + (1 << 20)) })) {
    bytes += c.byteLength;
    for (const b of c) if (b === lineByte) lines++;
  }
  return lines === 0 ? Math.max(bytes, 1) : bytes / lines;
}
