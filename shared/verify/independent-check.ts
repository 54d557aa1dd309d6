import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Pipeline } from '../config/schema.js';
import type { ObjectStore, ObjectVersion } from '../store/object-store.js';
import { independentFormatOf, readIndependent, type IndependentRead, type IndependentRecord } from './independent.js';
import type { LineSequence } from './line-sequence.js';

/** One verdict of `sluice verify`. */
export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What the independent checks need to know of a finished job: plain values, no engine code. */
export interface JobFacts {
  readonly pipeline: Pipeline;
  readonly input: { readonly key: string } & ObjectVersion;
  readonly compression: 'gzip' | 'none';
  /** The header the planner read and the physical lines it took. */
  readonly header: readonly string[] | undefined;
  readonly headerLines: number;
  /** Lines the planner skipped above the header (skipRows, comments). */
  readonly skippedBefore: number;
  /** `_SUCCESS` row counts. */
  readonly rows: { readonly in: number; readonly out: number; readonly rejected: number; readonly filtered: number };
  /** Keys of the reject parts listed in `_SUCCESS` that exist, in chunk order. */
  readonly rejectParts: readonly string[];
  /** The job report's merged stats (lines, blank lines, column profiles). */
  readonly stats: JobStats | undefined;
  /** Start lines of the records of the engine's fresh sequential pass, absolute. */
  readonly engineStarts: LineSequence;
}

/** The parts of the job report's stats these checks read. */
export interface JobStats {
  readonly lines?: number;
  readonly blankLines?: number;
  /** Lines the chunks skipped whole (comments, skipRows lines below the header); part of `lines`. */
  readonly skippedLines?: number;
  readonly columns?: Readonly<Record<string, { readonly count: number; readonly nulls: number }>>;
}

interface RejectLine {
  readonly line: number;
  readonly malformed: boolean;
}

/**
 * Reads the job's input again with the independent reader (csv-parse strict or JSON.parse, and
 * a plain count of line breaks) and holds the job against it: every physical line accounted for,
 * the same number of records starting on the same lines, the same malformed lines, a readable
 * header that names schema columns, and every non-null input value of a record that was not
 * rejected present in the output. Returns the checks and the independent record count, which
 * is what "lost" is counted against.
 */
export async function checkIndependently(job: JobFacts, stores: { input: ObjectStore; output: ObjectStore }): Promise<{ checks: VerifyCheck[]; records: number }> {
  const { pipeline } = job;
  const format = independentFormatOf(pipeline);
  const reader = format.type === 'jsonl' ? 'JSON.parse' : 'csv-parse strict';
  const rejects = rejectLines(stores.output, job.rejectParts);
  const engineMalformed: number[] = [];
  let unordered = false;
  let unmatched = 0;
  let columns: ColumnCount[] | undefined;
  // The rejects are walked beside the records, both in line order, so neither is held in memory.
  let next = await rejects.next();
  const advance = async () => {
    if (!next.done && next.value.malformed) engineMalformed.push(next.value.line);
    const previous = next.done ? 0 : next.value.line;
    next = await rejects.next();
    if (!next.done && next.value.line < previous) unordered = true;
  };

  const raw = stores.input.read(job.input.key, undefined, job.input);
  const source = job.compression === 'gzip' ? Readable.from(raw).pipe(createGunzip()) : raw;
  const nulls = new Set(pipeline.format.nullValues);
  const read = await readIndependent(source, format, {
    onRecords: async (batch, header) => {
      columns ??= columnsToCount(pipeline, header);
      for (const rec of batch) {
        while (!next.done && next.value.line < rec.line) {
          unmatched++;
          await advance();
        }
        const rejected = !next.done && next.value.line === rec.line;
        if (rejected) await advance();
        else if (rec.malformed === undefined) countValues(columns, rec, nulls);
      }
    },
  });
  while (!next.done) {
    unmatched++;
    await advance();
  }
  columns ??= columnsToCount(pipeline, read.header);

  const checks: VerifyCheck[] = [
    linesCheck(job, read, reader),
    {
      name: 'independent records',
      ok: read.records === job.rows.in,
      detail: `records: the engine read ${job.rows.in}, ${reader} reads ${read.records}`,
    },
    startsCheck(job.engineStarts, read.starts, reader),
    malformedCheck(engineMalformed, read.malformedLines, reader),
    headerCheck(job, read, format.header, reader),
    valuesCheck(job, columns, { unordered, unmatched }, reader),
  ];
  return { checks, records: read.records };
}

/** The reject lines of the job, in the order of its parts: where each starts and whether it was unreadable. */
async function* rejectLines(store: ObjectStore, keys: readonly string[]): AsyncGenerator<RejectLine> {
  for (const key of keys) {
    const decoder = new TextDecoder();
    let rest = '';
    for await (const c of store.read(key)) {
      const lines = (rest + decoder.decode(c, { stream: true })).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        const r = parseReject(l);
        if (r) yield r;
      }
    }
    const r = parseReject(rest + decoder.decode());
    if (r) yield r;
  }
}

/** A damaged reject line is skipped here: the content digest of the rejects reports it. */
function parseReject(text: string): RejectLine | undefined {
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as { line?: unknown; errors?: { rule?: unknown }[] };
    if (typeof r.line !== 'number') return undefined;
    return { line: r.line, malformed: Array.isArray(r.errors) && r.errors.some((e) => e?.rule === 'malformed') };
  } catch {
    return undefined;
  }
}

/** A schema column: where the independent reader finds it and how many non-null input values it has. */
interface ColumnCount {
  readonly name: string;
  /** Its name in the output, or undefined when it is not there unchanged (not selected, or cast). */
  readonly output: string | undefined;
  readonly key: string;
  /** Field index (CSV/TSV), -1 when absent or for JSONL. */
  readonly index: number;
  /** The column's own null markers and trim, which it reads its values with. */
  readonly nulls: ReadonlySet<string> | undefined;
  readonly trim: boolean;
  count: number;
}

/** Header names are matched after trimming spaces (README, "Header names are matched after trimming"). */
const trimmed = (header: readonly string[]) => header.map((h) => h.trim());

function columnsToCount(p: Pipeline, header: readonly string[] | undefined): ColumnCount[] {
  const { select, rename, cast } = p.transform;
  const names = header && trimmed(header);
  return Object.entries(p.schema.columns).map(([name, c], position) => {
    const key = c.source ?? name;
    const index = p.format.type === 'jsonl' ? -1 : p.format.header ? (names?.indexOf(key.trim()) ?? -1) : position;
    const output = (select && !select.includes(name)) || cast?.[name] ? undefined : (rename?.[name] ?? name);
    return { name, output, key, index, nulls: c.nullValues ? new Set(c.nullValues) : undefined, trim: c.trim, count: 0 };
  });
}

function countValues(columns: ColumnCount[], rec: IndependentRecord, nulls: ReadonlySet<string>): void {
  for (const c of columns) {
    let raw: string | undefined;
    if (rec.fields) raw = c.index === -1 ? undefined : rec.fields[c.index];
    else if (rec.object && Object.hasOwn(rec.object, c.key)) {
      const v = rec.object[c.key];
      raw = v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    if (raw !== undefined && c.trim) raw = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (raw !== undefined && !(c.nulls ?? nulls).has(raw)) c.count++;
  }
}

const list = (lines: readonly number[]) => (lines.length ? `${lines.slice(0, 5).join(', ')}${lines.length > 5 ? `, … (${lines.length})` : ''}` : 'none');

function linesCheck(job: JobFacts, read: IndependentRead, reader: string): VerifyCheck {
  const s = job.stats;
  const lines = s?.lines ?? 0;
  const skipped = job.skippedBefore + (s?.skippedLines ?? 0);
  const blank = s?.blankLines ?? 0;
  const engine = job.skippedBefore + job.headerLines + lines;
  const own = read.headerLines + read.recordLines + read.blankLines + read.skippedLines;
  return {
    name: 'independent lines',
    ok: engine === read.physicalLines && blank === read.blankLines && skipped === read.skippedLines && job.skippedBefore === read.skippedAbove && own === read.physicalLines,
    detail:
      `${read.physicalLines} physical lines (a plain count of line breaks); the engine accounts for ${engine} ` +
      `(${job.headerLines} header + ${lines} read + ${job.skippedBefore} skipped), ${blank} of them blank${skipped ? `, ${skipped} skipped in all` : ''}; ` +
      `${reader}: ${read.headerLines} header + ${read.recordLines} in records + ${read.blankLines} blank` +
      `${read.skippedLines ? ` + ${read.skippedLines} skipped (${read.skippedAbove} above the header)` : ''} = ${own}`,
  };
}

function startsCheck(engine: LineSequence, independent: LineSequence, reader: string): VerifyCheck {
  const d = independent.firstDifference(engine);
  const name = 'independent record starts';
  if (d === undefined) return { name, ok: true, detail: `${independent.count} records start on the same lines (${independent.value})` };
  if (d === 'unlocated') return { name, ok: false, detail: `the start lines differ (${reader} ${independent.value}, engine ${engine.value}) beyond the part that can be located` };
  const at = Math.min(d.a ?? Infinity, d.b ?? Infinity);
  return {
    name,
    ok: false,
    detail: `first disagreement at line ${at}: record ${d.index + 1} starts at line ${d.a ?? '(none)'} for ${reader}, at line ${d.b ?? '(none)'} for the engine`,
  };
}

function malformedCheck(engine: readonly number[], independent: readonly number[], reader: string): VerifyCheck {
  const e = [...new Set(engine)].sort((a, b) => a - b);
  const mine = new Set(independent);
  const theirs = new Set(e);
  const differ = [...independent.filter((l) => !theirs.has(l)), ...e.filter((l) => !mine.has(l))];
  const detail = `${reader} finds ${independent.length} malformed (lines ${list(independent)}), the engine rejected ${e.length} as malformed (lines ${list(e)})`;
  return { name: 'independent malformed', ok: differ.length === 0, detail: differ.length ? `${detail}; first disagreement at line ${Math.min(...differ)}` : detail };
}

function headerCheck(job: JobFacts, read: IndependentRead, hasHeader: boolean, reader: string): VerifyCheck {
  const name = 'independent header';
  if (!hasHeader) {
    const how = job.pipeline.format.type === 'jsonl' ? 'JSONL: columns read by key' : 'format.header is false: columns read by position in schema order';
    return { name, ok: job.headerLines === 0, detail: `${how}; the planner took ${job.headerLines} header line(s)` };
  }
  if (read.headerMalformed !== undefined || !read.header) {
    return { name, ok: false, detail: `${reader} cannot read the header: ${read.headerMalformed ?? 'the file has no records'}` };
  }
  const same = JSON.stringify(read.header) === JSON.stringify(job.header) && read.headerLines === job.headerLines;
  if (!same) {
    const show = (h: readonly string[] | undefined) => (h ? JSON.stringify(h.length > 8 ? [...h.slice(0, 8), `… ${h.length} fields`] : h).slice(0, 200) : 'none');
    return { name, ok: false, detail: `the planner read ${show(job.header)} on ${job.headerLines} line(s), ${reader} reads ${show(read.header)} on ${read.headerLines}` };
  }
  const keys = Object.entries(job.pipeline.schema.columns).map(([n, c]) => c.source ?? n);
  const names = trimmed(read.header);
  const named = keys.filter((k) => names.includes(k.trim()));
  if (keys.length && !named.length) {
    return { name, ok: false, detail: `none of the schema's ${keys.length} columns (${keys.join(', ')}) is named in the header (${read.header.join(', ')}): every value would be null` };
  }
  return { name, ok: true, detail: `${named.length} of ${keys.length} schema columns named in the header, which spans ${read.headerLines} line(s)` };
}

function valuesCheck(job: JobFacts, columns: readonly ColumnCount[], merge: { unordered: boolean; unmatched: number }, reader: string): VerifyCheck {
  const name = 'independent values';
  const profile = job.stats?.columns;
  if (!profile) return { name, ok: false, detail: 'the job report has no column profile to compare with' };
  if (merge.unordered) return { name, ok: false, detail: 'the reject parts are not in line order: values not compared' };
  const filtered = job.rows.filtered;
  const wrong: string[] = [];
  let compared = 0;
  for (const c of columns) {
    if (c.output === undefined) continue;
    const p = profile[c.output];
    compared++;
    const out = p ? p.count - p.nulls : 0;
    // A filtered record's values are in neither the output nor the rejects.
    if (!p || out > c.count || out < c.count - filtered) {
      wrong.push(`${c.output}: the output holds ${p ? out : 'no profile, so 0'} non-null values, ${reader} reads ${c.count} in records not rejected${filtered ? ` (${filtered} filtered)` : ''}`);
    }
  }
  const unmatched = merge.unmatched ? `; ${merge.unmatched} reject(s) at lines where ${reader} starts no record` : '';
  if (wrong.length) return { name, ok: false, detail: `${wrong.slice(0, 5).join('; ')}${wrong.length > 5 ? `; … ${wrong.length} columns` : ''}${unmatched}` };
  return { name, ok: true, detail: `non-null values of ${compared} column(s) match the input's in records not rejected${filtered ? ` (within ${filtered} filtered)` : ''}${unmatched}` };
}
