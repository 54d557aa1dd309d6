import { createHash } from 'node:crypto';
import type { Pipeline } from '../config/schema.js';
import { HashingSink, type PartInfo } from '../formats/writers.js';
import { chunkCountOf, linesBeforeData, type JobPlan } from '../plan/plan.js';
import type { ChunkResult } from '../process/chunk.js';
import { layout } from '../process/layout.js';
import { uniqueDuplicates } from './reduce.js';
import { anomalyResult, columnFigures, type JobFigures } from './anomaly.js';
import type { HistoryEntry } from '../state/models.js';
import type { ObjectStore } from '../store/object-store.js';
import { completenessResult } from './completeness.js';
import { renderReportHtml } from './html.js';
import type { ColumnSummary, DatasetRuleResult, JobReport, JobResources } from './job-report.js';
import { BOTTLENECK_RULE, jobResources } from '../process/resources.js';
import { distinctEstimate, emptyStats, mergeStats, ownEntry, splitStats, type ChunkStats } from './stats.js';

/**
 * The finished chunks of a job as finalize needs them, by chunk index. Column profiles and
 * coverage are folded as each chunk is added (see `splitStats`), so memory holds one copy of
 * them however many chunks the job has.
 */
export class FinishedChunks {
  readonly byIndex: (ChunkResult | undefined)[] = [];
  folded: ChunkStats = emptyStats();

  add(result: ChunkResult): void {
    const { ordered, foldable } = splitStats(result.stats);
    this.folded = mergeStats(this.folded, foldable);
    this.byIndex[result.index] = { ...result, stats: ordered };
  }

  has(index: number): boolean {
    return this.byIndex[index] !== undefined;
  }

  /** Finalizes the job from the chunks added, which must be all of them. */
  finalize(pipeline: Pipeline, plan: JobPlan, store: ObjectStore, startedAt: string, history?: readonly HistoryEntry[]): Promise<FinalizeResult> {
    return finalizeJob(pipeline, plan, this.byIndex as ChunkResult[], store, startedAt, { folded: this.folded, ...(history ? { history } : {}) });
  }
}

/** The commit marker: a job's results are valid only once this lists them. */
export interface SuccessManifest {
  readonly jobId: string;
  readonly pipeline: string;
  readonly input: JobPlan['input'];
  readonly rows: { readonly in: number; readonly out: number; readonly rejected: number; readonly filtered: number };
  readonly parts: readonly PartInfo[];
  readonly rejects: readonly PartInfo[];
  readonly report: string;
}

export interface FinalizeResult {
  readonly report: JobReport;
  readonly reportKey: string;
  readonly successKey: string | undefined;
}

/**
 * Merges chunk results, evaluates dataset rules, applies the quality gate, writes rejects with
 * absolute line numbers, report.json/html and, when the job passes, `_SUCCESS`. Re-running it
 * on the same chunk results writes the same objects. `folded` carries stats already merged out of
 * order (see `splitStats`), whose results then hold only their ordered part.
 */
export async function finalizeJob(
  pipeline: Pipeline,
  plan: JobPlan,
  results: readonly ChunkResult[],
  store: ObjectStore,
  startedAt: string,
  options: { now?: () => Date; folded?: ChunkStats; history?: readonly HistoryEntry[] } = {},
): Promise<FinalizeResult> {
  const now = options.now ?? (() => new Date());
  const ordered = [...results].sort((a, b) => a.index - b.index);
  // Coverage merges to one canonical form (sorted ranges and keys), whatever order the chunks finished in.
  const stats = withAbsoluteLines(ordered, linesBeforeData(plan)).reduce<ChunkStats>((acc, s) => mergeStats(acc, s), options.folded ?? emptyStats());
  const balanced = stats.rowsIn === stats.rowsOut + stats.rowsRejected + stats.rowsFiltered;
  const rejectRatioOf = stats.rowsIn === 0 ? 0 : stats.rowsRejected / stats.rowsIn;
  const columns = summarizeColumns(pipeline, stats);
  const figures: JobFigures = {
    rowsIn: stats.rowsIn,
    rowsOut: stats.rowsOut,
    rowsRejected: stats.rowsRejected,
    rowsFiltered: stats.rowsFiltered,
    rejectRatio: rejectRatioOf,
    durationMs: Math.max(0, now().getTime() - Date.parse(startedAt)) || 0,
    columns: columnFigures(columns),
  };
  const datasetRules = await evaluateDatasetRules(pipeline, plan, stats, store, figures, (options.history ?? []).filter((h) => h.jobId !== plan.jobId));
  const rejects = await publishRejects(pipeline, plan, ordered, store);
  const rejectRatio = rejectRatioOf;
  const { maxRejectRatio } = pipeline.qualityGate;
  // Rows in and none out is never a success, whatever the ratio allows: something upstream is wrong.
  const noOutput = stats.rowsIn > 0 && stats.rowsOut === 0;
  const gatePassed = rejectRatio <= maxRejectRatio && !noOutput;
  const failedRules = datasetRules.filter((r) => !r.passed && r.severity === 'error');
  const failure = !balanced
    ? `accounting does not balance: ${stats.rowsIn} in ≠ ${stats.rowsOut} out + ${stats.rowsRejected} rejected + ${stats.rowsFiltered} filtered`
    : !gatePassed
      ? noOutput
        ? `quality gate: ${stats.rowsIn} rows in and none out (${stats.rowsRejected} rejected, ${stats.rowsFiltered} filtered)`
        : `quality gate: reject ratio ${(rejectRatio * 100).toFixed(2)}% is above ${(maxRejectRatio * 100).toFixed(2)}%`
      : failedRules.length
        ? `dataset rule failed: ${failedRules.map((r) => `${r.name} (${r.detail})`).join('; ')}`
        : undefined;

  const reportsPrefix = layout.reports(pipeline.name, plan.jobId);
  const successKey = failure ? undefined : `${layout.results(pipeline.name, plan.jobId)}_SUCCESS`;
  const parts = ordered.flatMap((r) => r.parts);
  const report: JobReport = {
    jobId: plan.jobId,
    pipeline: pipeline.name,
    input: { key: plan.input.key, size: plan.input.size, etag: plan.input.etag },
    status: failure ? 'FAILED' : 'SUCCEEDED',
    ...(failure ? { failure } : {}),
    startedAt,
    finishedAt: now().toISOString(),
    plan: { chunks: plan.chunks.length, method: plan.method },
    accounting: {
      rowsIn: stats.rowsIn,
      rowsOut: stats.rowsOut,
      rowsRejected: stats.rowsRejected,
      rowsFiltered: stats.rowsFiltered,
      balanced,
      blankLines: stats.blankLines,
      skippedLines: (plan.skippedBefore ?? 0) + (stats.skippedLines ?? 0),
    },
    rejectRatio,
    qualityGate: { maxRejectRatio, requireOutput: true, passed: gatePassed },
    datasetRules,
    columns,
    stats,
    outputs: { results: parts.length, rejects: rejects.length, successKey },
    resources: resourcesOf(ordered, Date.parse(startedAt), now()),
  };
  await store.put(`${reportsPrefix}report.json`, reportJson(report));
  await store.put(`${reportsPrefix}report.html`, renderReportHtml(report));
  if (successKey) {
    const manifest: SuccessManifest = {
      jobId: plan.jobId,
      pipeline: pipeline.name,
      input: plan.input,
      rows: { in: stats.rowsIn, out: stats.rowsOut, rejected: stats.rowsRejected, filtered: stats.rowsFiltered },
      parts,
      rejects,
      report: `${reportsPrefix}report.json`,
    };
    await store.put(successKey, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return { report, reportKey: `${reportsPrefix}report.html`, successKey };
}

/** The job's resource record from its chunks' (see BOTTLENECK_RULE); its wall time from the job's start to now. */
function resourcesOf(ordered: readonly ChunkResult[], startedMs: number, finished: Date): JobResources {
  const chunks = ordered.flatMap((r) => (r.resources ? [{ index: r.index, ...r.resources.chunk }] : []));
  const external = ordered.flatMap((r) => (r.resources?.external ? [{ index: r.index, ...r.resources.external }] : []));
  const wallMs = Number.isFinite(startedMs) ? Math.max(0, finished.getTime() - startedMs) : chunks.reduce((n, r) => n + r.wallMs, 0);
  return { rule: BOTTLENECK_RULE, job: jobResources(wallMs, chunks, external), chunks, external };
}

/** Chunks count lines from their own start; the report's samples show lines of the file. */
function withAbsoluteLines(ordered: readonly ChunkResult[], headerLines: number): ChunkStats[] {
  let base = headerLines;
  return ordered.map((r) => {
    const lineBase = base;
    base += r.stats.lines;
    const rules = Object.fromEntries(Object.entries(r.stats.rules).map(([k, t]) => [k, { ...t, samples: t.samples.map((x) => ({ ...x, line: x.line + lineBase })) }]));
    return { ...r.stats, rules };
  });
}

/** Stands for the coverage while the rest of report.json is indented. */
const COVERAGE_MARK = '\u0000coverage\u0000';

/**
 * report.json: indented for people, except the completeness coverage, which is one line per rule.
 * Its slot ranges are most of a large job's report (6.4 MB for 10 GB of flux rows), and indented
 * they would put every number on a line of its own (16.7 MB, written at finalize's peak memory).
 */
export function reportJson(report: JobReport): string {
  const text = JSON.stringify({ ...report, stats: { ...report.stats, coverage: COVERAGE_MARK } }, null, 2);
  const mark = JSON.stringify(COVERAGE_MARK);
  // The last one: only counts and the outputs come after it, so a value that holds the mark cannot be taken for it.
  const at = text.lastIndexOf(mark);
  const { coverage } = report.stats;
  // report.stats.coverage sits two levels in: its items at six spaces, its bracket at four.
  const lines = coverage.map((c) => `      ${JSON.stringify(c)}`).join(',\n');
  return `${text.slice(0, at)}${coverage.length ? `[\n${lines}\n    ]` : '[]'}${text.slice(at + mark.length)}\n`;
}

/** Copies each chunk's staged rejects to its final key with absolute line numbers, then drops the staging copy. */
async function publishRejects(pipeline: Pipeline, plan: JobPlan, ordered: readonly ChunkResult[], store: ObjectStore): Promise<PartInfo[]> {
  // Each chunk's first line, then its rejects copied with absolute line numbers, 16 chunks at a
  // time: at 16,000 chunks one after the other, the requests alone would outlast a Lambda.
  const todo: { r: ChunkResult & { rejects: PartInfo }; lineBase: number }[] = [];
  let base = linesBeforeData(plan);
  const empty: string[] = [];
  for (const r of ordered) {
    // A chunk without rejects stages none and says so (no `rejects`); one of an older version staged an empty object.
    if (r.rejects && r.rejects.rows > 0) todo.push({ r: r as ChunkResult & { rejects: PartInfo }, lineBase: base });
    else if (r.rejects) empty.push(r.rejects.key);
    base += r.stats.lines;
  }
  await inTurn(empty.length, (i) => store.delete(empty[i]!));
  const out: (PartInfo | undefined)[] = new Array(todo.length);
  await inTurn(todo.length, async (i) => void (out[i] = await publishChunkRejects(pipeline, plan, todo[i]!.r, todo[i]!.lineBase, store)));
  return out.filter((p): p is PartInfo => p !== undefined);
}

/** `f` of 0 … n-1, 16 at a time. */
async function inTurn(n: number, f: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, n) }, async () => {
      for (let i = next++; i < n; i = next++) await f(i);
    }),
  );
}

/** One chunk's staged rejects at their final key, with absolute line numbers; undefined when an earlier finalize published them and the part is gone. */
async function publishChunkRejects(pipeline: Pipeline, plan: JobPlan, r: ChunkResult & { rejects: PartInfo }, lineBase: number, store: ObjectStore): Promise<PartInfo | undefined> {
  const staged = r.rejects.key;
  const key = `${layout.rejects(pipeline.name, plan.jobId)}${layout.part(r.index)}.jsonl`;
  if (!(await store.head(staged))) {
    // Already published by an earlier finalize that stopped before the report.
    const existing = await store.get(key);
    return existing ? { key, rows: r.rejects.rows, bytes: existing.length, sha256: createHash('sha256').update(existing).digest('hex') } : undefined;
  }
  // Streamed line by line: rejects of a chunk can be as large as the chunk.
  const sink = new HashingSink(key, store.writer(key));
  let rest = '';
  const emit = (text: string) => sink.write(text);
  const relabel = (l: string) => l.replace(/^\{"line":(\d+)/, (_m, n: string) => `{"line":${Number(n) + lineBase}`);
  let part: PartInfo;
  try {
    const decoder = new TextDecoder();
    for await (const c of store.read(staged)) {
      const lines = (rest + decoder.decode(c, { stream: true })).split('\n');
      rest = lines.pop()!;
      if (lines.length) await emit(`${lines.map(relabel).join('\n')}\n`);
    }
    if (rest) await emit(relabel(rest));
    part = await sink.commit(r.rejects.rows);
  } catch (e) {
    await sink.abort();
    throw e;
  }
  await store.delete(staged);
  return part;
}

async function evaluateDatasetRules(pipeline: Pipeline, plan: JobPlan, stats: ChunkStats, store: ObjectStore, figures: JobFigures, history: readonly HistoryEntry[]): Promise<DatasetRuleResult[]> {
  const results: DatasetRuleResult[] = [];
  for (const [i, rule] of pipeline.rules.dataset.entries()) {
    const name = rule.name ?? `${rule.type}[${i}]`;
    if (rule.type === 'unique') {
      const { duplicates } = await uniqueDuplicates(pipeline, { jobId: plan.jobId, chunks: chunkCountOf(plan), inputBytes: plan.input.size }, i, store);
      results.push({ name, type: 'unique', severity: rule.severity, passed: duplicates === 0, detail: `${duplicates} duplicate key(s) over ${rule.columns.join(', ')}` });
    } else if (rule.type === 'completeness') {
      results.push(completenessResult(name, rule, stats.coverage.find((x) => x.rule === i)));
    } else if (rule.type === 'anomaly') {
      results.push(anomalyResult(name, rule, figures, history));
    } else {
      const n = stats.rowsOut;
      const passed = (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max);
      results.push({ name, type: 'rowCount', severity: rule.severity, passed, detail: `${n} output rows (allowed ${rule.min ?? 0}..${rule.max ?? '∞'})` });
    }
  }
  return results;
}

/** Distinct counts are HyperLogLog estimates (~1.6% error), never above the non-null count. */
function summarizeColumns(pipeline: Pipeline, stats: ChunkStats): ColumnSummary[] {
  return Object.entries(stats.columns).map(([name, p]) => {
    const type = ownEntry(pipeline.schema.columns, name)?.type ?? 'derived';
    const show = (v: number | string | null) =>
      v === null ? null : typeof v === 'number' && (type === 'timestamp' || type === 'date') ? new Date(v).toISOString() : String(v);
    return { name, type, count: p.count, nulls: p.nulls, min: show(p.min), max: show(p.max), distinct: Math.min(distinctEstimate(p), p.count - p.nulls) };
  });
}
