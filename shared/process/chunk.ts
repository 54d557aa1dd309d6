import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { dialectOf } from '../config/resolve.js';
import type { Pipeline } from '../config/schema.js';
import { InputError, JobFailedError } from '../errors.js';
import { RowGroupBudget } from '../formats/parquet.js';
import { classifyReadError } from '../formats/read-errors.js';
import { fastLineChars, readRecords, type SourceRecord } from '../formats/records.js';
import { loadExcel, readSheetRecords } from '../formats/xlsx.js';
import { CEL_BAIL } from '../compile/cel-runtime.js';
import { KernelOutcome, type RunCounts, type RunDialect } from '../compile/row-kernel.js';
import { createRowWriter, formatValue, HashingSink, jsonlOutput, type PartInfo, type RowWriter } from '../formats/writers.js';
import { linesBeforeData, type ChunkRange, type JobPlan } from '../plan/plan.js';
import { emptyStats, ownSlot, SAMPLES_PER_RULE, type ChunkStats } from '../report/stats.js';
import { SlotCoverageBuilder } from '../rules/completeness.js';
import { parseInterval } from '../rules/time.js';
import { KeyHashes, reducePartitions } from '../rules/unique.js';
import type { Value } from '../rules/columns.js';
import type { ObjectStore } from '../store/object-store.js';
import { layout } from './layout.js';
import type { ResourceRecord } from './resources.js';
import { ColumnProfiler } from './profile.js';
import { compileRowProcessor, Outcome, SLOW, type RowProcessor } from './row.js';

/** What a finished chunk leaves behind; stored as its checkpoint. */
export interface ChunkResult {
  readonly index: number;
  /** Same input version, range and config: a checkpoint with this fingerprint can be trusted on resume. */
  readonly fingerprint: string;
  readonly stats: ChunkStats;
  readonly parts: readonly PartInfo[];
  readonly rejects: PartInfo | undefined;
  /** Sorted key-hash runs for `unique` dataset rules, by rule index. */
  readonly keyRuns: Readonly<Record<string, string>>;
  /** Bytes the chunk wrote: result parts, rejects and key runs. */
  readonly bytesWritten?: number;
  /** What the attempt that counted cost, and its external run's (see `runChunk`); absent in checkpoints written before. */
  readonly resources?: { readonly chunk: ResourceRecord; readonly external?: ResourceRecord };
}

/** How far a running chunk has got: records read and input bytes consumed so far, both cumulative. */
export interface ChunkProgress {
  readonly rows: number;
  /** Bytes of the chunk's range read so far (compressed bytes for gzip); at most the range's length. */
  readonly bytes: number;
}

export interface ChunkDeps {
  /** Where the input lives. */
  readonly input: ObjectStore;
  /** Where results, rejects and manifests go. */
  readonly output: ObjectStore;
  /** False for the general path only: no generated line reader, CEL interpreted (the differential tests compare both). */
  readonly fastPath?: boolean;
  /**
   * Told how far the chunk has got while it runs, at the end of a block (a read of about 1 MiB)
   * once at least `progressIntervalMs` have passed since the last call. Not called at the
   * chunk's end: the result says that.
   */
  readonly onProgress?: (progress: ChunkProgress) => void;
  /** Least wall time between two `onProgress` calls; 500 ms unless set (0: every block). */
  readonly progressIntervalMs?: number;
  /**
   * Told the chunk-relative start line of every record read (malformed ones included), in order;
   * `sluice verify` holds this sequence against an independent reader. Unset, it costs nothing.
   */
  readonly onRecordStart?: (line: number) => void;
}

/** Bumped when what a chunk writes changes shape (key runs gained partition headers: 2), so a resume redoes chunks of the old shape; the partition count is in the fingerprint too. */
const RESULT_FORMAT = 2;

export function chunkFingerprint(plan: JobPlan, chunk: ChunkRange): string {
  return `${plan.input.etag}:${plan.input.versionId ?? ''}:${chunk.start}-${chunk.end}:${plan.pipelineHash}:${RESULT_FORMAT}p${reducePartitions(plan.input.size)}`;
}

/**
 * Runs one chunk: stream its byte range, parse, validate, transform, and write its output
 * parts and rejects under deterministic keys (a retry overwrites, never duplicates).
 */
export async function processChunk(pipeline: Pipeline, plan: JobPlan, chunk: ChunkRange, deps: ChunkDeps): Promise<ChunkResult> {
  const started = performance.now();
  const file = plan.input.key;
  const { row, release } = takeRowProcessor(pipeline, plan, file, deps.fastPath !== false);
  try {
    return await runChunk(pipeline, plan, chunk, deps, row, started);
  } finally {
    release();
  }
}

async function runChunk(pipeline: Pipeline, plan: JobPlan, chunk: ChunkRange, deps: ChunkDeps, row: RowProcessor, started: number): Promise<ChunkResult> {
  const file = plan.input.key;
  const stats = emptyStats();
  stats.chunks = 1;
  const part = layout.part(chunk.index);
  const resultsPrefix = layout.results(pipeline.name, plan.jobId);
  const ext = pipeline.output.format;
  const partitionIdx = pipeline.output.partitionBy.map((c) => row.columns.findIndex((o) => o.name === c));
  const writers = new Map<string, RowWriter>();
  // One memory budget for all of the chunk's Parquet parts, however many partitions there are.
  const rowGroups = new RowGroupBudget();
  if (ext === 'xlsx') await loadExcel();
  const newWriter = (partition: string) => {
    const key = `${resultsPrefix}${partition}${part}.${ext}`;
    return createRowWriter(ext, key, deps.output.writer(key), row.columns, { rowGroups });
  };
  // The row kernel writes JSON lines into the one part's buffer itself (the part counts once it
  // has a row), or hands a Parquet part its values.
  const kernelOn = row.kernel !== undefined && deps.fastPath !== false && !deps.onRecordStart;
  const kernelWriter = kernelOn && ext === 'jsonl' && partitionIdx.length === 0 ? newWriter('') : undefined;
  const kernelValues = kernelOn && ext === 'parquet';
  let kernelUsed = false;
  const openWriter = (partition: string) => {
    const w = kernelWriter ?? newWriter(partition);
    writers.set(partition, w);
    return w;
  };
  const rejectsKey = `${layout.rejectsStaging(pipeline.name, plan.jobId)}${part}.jsonl`;
  const rejectsSink = new HashingSink(rejectsKey, deps.output.writer(rejectsKey));
  const rejectBuffer: string[] = [];

  const profiler = new ColumnProfiler(row.columns);
  const uniques = pipeline.rules.dataset
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.type === 'unique')
    .map(({ r, i }) => {
      const columns = (r.type === 'unique' ? r.columns : []).map((c) => row.columns.findIndex((o) => o.name === c));
      return { i, columns, hashes: new KeyHashes(columns) };
    });
  const outputIndex = (name: string) => row.columns.findIndex((o) => o.name === name);
  const coverage = pipeline.rules.dataset.flatMap((r, i) => {
    if (r.type !== 'completeness') return [];
    const index = outputIndex(r.column);
    return index === -1 ? [] : [new SlotCoverageBuilder(i, r.column, r.groupBy, parseInterval(r.interval), index, r.groupBy.map(outputIndex))];
  });

  const tally = (rule: string, sample: { line: number; column?: string; value?: string; message: string }) => {
    // Rule names are the user's: "constructor" and "__proto__" are names too.
    const t = ownSlot(stats.rules, rule, () => ({ count: 0, samples: [] }));
    t.count++;
    if (t.samples.length < SAMPLES_PER_RULE) t.samples.push(sample);
  };
  // xlsx: the cell reference of a column of the record being read (Sheet1!C27), for its rejects.
  let cellRef: ((column: number) => string) | undefined;
  const inSheet = (failures: readonly { column?: string; rule: string; value?: string; message: string }[]) =>
    failures.map((f) => {
      const index = f.column === undefined ? -1 : (row.inputColumns.find((c) => c.name === f.column)?.index ?? -1);
      return index === -1 ? f : { ...f, cell: cellRef!(index) };
    });
  const reject = (rec: SourceRecord, given: readonly { column?: string; rule: string; value?: string; message: string }[]) => {
    const failures = cellRef ? inSheet(given) : given;
    stats.rowsRejected++;
    for (const f of failures) tally(f.rule, { line: rec.line, column: f.column, value: f.value, message: f.message });
    if (pipeline.onBadRow !== 'quarantine') {
      const what = failures.map((f) => (f.column ? `${f.column}: ${f.message}` : f.message)).join('; ');
      const where = chunk.index === 0 ? `line ${rec.line + linesBeforeData(plan)}` : `byte ${rec.offset()} (chunk ${chunk.index}, line ${rec.line} of the chunk)`;
      const message = `${where}: ${what} (onBadRow: ${pipeline.onBadRow})`;
      throw pipeline.onBadRow === 'fail-job' ? new JobFailedError(`${file}: ${message}`) : new InputError(file, 0, message);
    }
    rejectBuffer.push(
      `{"line":${rec.line},"offset":${rec.offset()},"chunk":${chunk.index},"errors":${JSON.stringify(failures)},"raw":${JSON.stringify(rec.raw())}}\n`,
    );
  };

  const onRecord = (rec: SourceRecord) => {
    stats.rowsIn++;
    if (rec.malformed !== undefined) return reject(rec, [{ rule: 'malformed', message: rec.malformed }]);
    const outcome = row.process(rec.fields, rec.object);
    if (outcome === Outcome.REJECT) return reject(rec, row.failures);
    accept(outcome);
  };

  // Each partition column's folder name by value, for the usual few values; dates and timestamps in ISO 8601, as the writers print them.
  const folderNames = partitionIdx.map(() => new Map<Value, string>());
  const partitionOf = (values: readonly Value[]): string => {
    let partition = '';
    for (let k = 0; k < partitionIdx.length; k++) {
      const i = partitionIdx[k]!;
      const v = values[i]!;
      const names = folderNames[k]!;
      let name = names.get(v);
      if (name === undefined) {
        name = `${row.columns[i]!.name}=${encodeURIComponent(String(formatValue(v, row.columns[i]!.type) ?? '__null__'))}/`;
        if (names.size < 4096) names.set(v, name);
      }
      partition += name;
    }
    return partition;
  };
  const writeValues = (values: readonly Value[]) => {
    const partition = partitionOf(values);
    (writers.get(partition) ?? openWriter(partition)).write(values);
  };

  // Plain lines skip the tokenizer's record: the row kernel (or the row's generated reader) takes them, or hands them back.
  const kernel =
    (kernelWriter || kernelValues) &&
    row.kernel!({
      ...(kernelWriter ? { out: jsonlOutput(kernelWriter)! } : { write: writeValues }),
      profiler,
      uniques: uniques.map((u) => ({ hashes: u.hashes, columns: u.columns })),
      coverage: coverage.map((c) => ({ builder: c, time: c.timeIndex, groups: c.groupIndexes })),
    });
  const processLine = row.processLine;
  /** Rows the kernel took: counted; the JSONL part joins the chunk's parts with its first row. */
  const tookRows = (out: number, filtered: number) => {
    stats.rowsIn += out + filtered;
    stats.rowsFiltered += filtered;
    stats.rowsOut += out;
    if (out > 0 && !kernelUsed && kernelWriter) {
      kernelUsed = true;
      writers.set('', kernelWriter);
    }
  };
  const fastLine = kernel
    ? (T: string, s: number, e: number, U?: Uint8Array, q?: number): boolean => {
        let outcome: number;
        try {
          outcome = kernel(T, s, e, U, q);
        } catch (err) {
          // A compiled CEL expression that cannot be sure: the general path evaluates it.
          if (err === CEL_BAIL) return false;
          throw err;
        }
        if (outcome === KernelOutcome.SLOW) return false;
        if (outcome === KernelOutcome.FILTERED) tookRows(0, 1);
        else tookRows(1, 0);
        return true;
      }
    : processLine && deps.fastPath !== false && !deps.onRecordStart
      ? (T: string, s: number, e: number, _U?: Uint8Array, q?: number): boolean => {
          const outcome = processLine(T, s, e, q);
          if (outcome === SLOW) return false;
          stats.rowsIn++;
          accept(outcome);
          return true;
        }
      : undefined;

  const dialect = dialectOf(pipeline, plan.lineBreak);
  // Runs of lines through the kernel in one call each (see FastRun).
  const counts: RunCounts = { lines: 0, out: 0, filtered: 0 };
  const runDialect: RunDialect = { ...dialect, comment: dialect.comment ?? '', maxChars: fastLineChars(pipeline.format.maxLineBytes) };
  const fastRun = kernel
    ? (T: string, s: number, U: Uint8Array | undefined, taken: { lines: number }): number => {
        const to = kernel.run(T, U, s, runDialect, counts);
        taken.lines += counts.lines;
        tookRows(counts.out, counts.filtered);
        return to;
      }
    : undefined;

  /** A row that is not a reject: counted as filtered, or profiled and written. */
  const accept = (outcome: Outcome) => {
    if (outcome === Outcome.FILTERED) {
      stats.rowsFiltered++;
      return;
    }
    if (row.warnings.length) {
      stats.rowsWarned++;
      for (const w of row.warnings) stats.warnings[w] = ownSlot(stats.warnings, w, () => 0) + 1;
    }
    const values = row.values;
    stats.rowsOut++;
    profiler.add(values);
    for (const u of uniques) u.hashes.add(values);
    for (const c of coverage) c.add(values);
    (writers.get(partitionOf(values)) ?? openWriter(partitionOf(values))).write(values, row.texts, row.extra);
  };

  const onRecordStart = deps.onRecordStart;
  const take = onRecordStart
    ? (rec: SourceRecord) => {
        onRecordStart(rec.line);
        onRecord(rec);
      }
    : onRecord;

  // Progress is checked once per block, never per record: one clock read per ~1 MiB.
  const onProgress = deps.onProgress;
  const progressInterval = deps.progressIntervalMs ?? 500;
  let bytesRead = 0;
  let progressAt = started;
  const onBlockEnd = async () => {
    if (onProgress) {
      const now = performance.now();
      if (now - progressAt >= progressInterval) {
        progressAt = now;
        onProgress({ rows: stats.rowsIn, bytes: bytesRead });
      }
    }
    for (const w of writers.values()) await w.flush();
    if (rejectBuffer.length) {
      const text = Buffer.from(rejectBuffer.splice(0).join(''));
      await rejectsSink.write(text);
    }
  };

  const source = chunkSource(deps.input, plan, chunk, dialect.quote === '' ? 0 : pipeline.format.maxLineBytes + 8, onProgress && ((n) => void (bytesRead += n)));
  let totals;
  try {
    totals = pipeline.format.type === 'xlsx'
      ? await readSheetRecords(
          source,
          { file, sheet: pipeline.format.sheet, skipRows: pipeline.format.skipRows, dataStartRow: linesBeforeData(plan) + 1, width: plan.header?.length ?? row.inputColumns.length },
          (rec, ref) => {
            cellRef = ref;
            take(rec);
          },
          onBlockEnd,
        )
      : await readRecords(
      source,
      {
        file,
        format: pipeline.format.type === 'jsonl' ? 'jsonl' : 'csv',
        dialect,
        // A gzip chunk is the whole file, its decompressed bytes after the header.
        startOffset: plan.compression === 'gzip' ? plan.dataStart : chunk.start,
        startLine: 1,
        maxLineBytes: pipeline.format.maxLineBytes,
        stripBom: (plan.compression === 'gzip' ? plan.dataStart : chunk.start) === 0,
        ...(chunk.end < plan.input.size && plan.compression === 'none' ? { stopAt: chunk.end } : {}),
        ...(plan.skipOffsets?.length ? { skipOffsets: plan.skipOffsets } : {}),
        ...(fastLine ? { fastLine } : {}),
        ...(fastRun ? { fastRun } : {}),
      },
      take,
      onBlockEnd,
    );
    await onBlockEnd();
  } catch (e) {
    await Promise.allSettled([...writers.values()].map((w) => w.abort()));
    await rejectsSink.abort();
    throw classifyReadError(e, file);
  }
  stats.lines = totals.lines;
  stats.blankLines = totals.blankLines;
  stats.skippedLines = totals.skippedLines;
  stats.bytes = chunk.end - chunk.start;
  stats.rowsPerChunk[String(chunk.index)] = stats.rowsIn;
  profiler.into(stats);
  stats.coverage = coverage.map((c) => c.result());

  const parts: PartInfo[] = [];
  let rejects: PartInfo | undefined;
  const ordered = [...writers.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, w]) => w);
  try {
    for (const w of ordered) parts.push(await w.close());
    // No rejects, no object (and none in the result): finalize then has nothing of this chunk's to copy or delete.
    if (stats.rowsRejected === 0) await rejectsSink.abort();
    rejects = stats.rowsRejected === 0 ? undefined : await rejectsSink.commit(stats.rowsRejected);
  } catch (e) {
    // Leave no temp file or open multipart upload behind; committed parts are overwritten by the retry.
    await Promise.allSettled([...ordered.slice(parts.length).map((w) => w.abort()), rejectsSink.abort()]);
    throw e;
  }
  const keyRuns: Record<string, string> = {};
  const partitions = reducePartitions(plan.input.size);
  let bytesWritten = parts.reduce((n, p) => n + p.bytes, 0) + (rejects?.bytes ?? 0);
  for (const u of uniques) {
    const key = layout.keyRun(plan.jobId, u.i, chunk.index);
    const run = u.hashes.sortedBytes(partitions);
    await deps.output.put(key, run);
    keyRuns[String(u.i)] = key;
    bytesWritten += run.length;
  }
  stats.durationMs = performance.now() - started;
  return { index: chunk.index, fingerprint: chunkFingerprint(plan, chunk), stats, parts, rejects, keyRuns, bytesWritten };
}

/**
 * Idle row processors by pipeline and header, kept for the process's next chunks so generated
 * code warms up once. A chunk takes one for itself and gives it back when done: chunks that run
 * at once (in one Lambda process, or the tests' emulated tier) each bind their own.
 */
const idleProcessors = new Map<string, RowProcessor[]>();
const KEYS_KEPT = 8;

function takeRowProcessor(pipeline: Pipeline, plan: JobPlan, file: string, generated: boolean): { row: RowProcessor; release: () => void } {
  const key = JSON.stringify([pipeline, plan.header ?? null, generated]);
  const row = idleProcessors.get(key)?.pop() ?? compileRowProcessor(pipeline, plan.header, 'pipeline', file, { generated });
  const release = () => {
    let idle = idleProcessors.get(key);
    if (!idle) {
      if (idleProcessors.size >= KEYS_KEPT) idleProcessors.delete(idleProcessors.keys().next().value!);
      idleProcessors.set(key, (idle = []));
    }
    if (idle.length < 4) idle.push(row);
  };
  return { row, release };
}

/**
 * The chunk's bytes; for gzip, the decompressed stream after the header. With quotes, `lookAhead`
 * bytes past the end too: a quoted record is judged on the maxLineBytes after its start, as in
 * one pass. `onRead` is told the length of every piece read from the store (before decompression).
 */
function chunkSource(store: ObjectStore, plan: JobPlan, chunk: ChunkRange, lookAhead: number, onRead?: (bytes: number) => void): AsyncIterable<Uint8Array> {
  if (plan.compression === 'none') return counted(store.read(plan.input.key, { start: chunk.start, end: Math.min(plan.input.size, chunk.end + lookAhead) }, plan.input), onRead);
  return skipBytes(Readable.from(counted(store.read(plan.input.key, undefined, plan.input), onRead)).pipe(createGunzip()), plan.dataStart);
}

function counted(source: AsyncIterable<Uint8Array>, onRead: ((bytes: number) => void) | undefined): AsyncIterable<Uint8Array> {
  if (!onRead) return source;
  return (async function* () {
    for await (const c of source) {
      onRead(c.byteLength);
      yield c;
    }
  })();
}

async function* skipBytes(source: AsyncIterable<Uint8Array>, count: number): AsyncIterable<Uint8Array> {
  let left = count;
  for await (const c of source) {
    if (left >= c.byteLength) {
      left -= c.byteLength;
      continue;
    }
    yield left > 0 ? c.subarray(left) : c;
    left = 0;
  }
}
