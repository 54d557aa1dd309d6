import { layout, rejectParts } from '../process/layout.js';
import type { JobReport } from '../report/job-report.js';
import { JobStatus, type HistoryEntry, type JobRecord, type StateStore } from '../state/models.js';
import { lineBatches } from '../store/lines.js';
import type { ObjectStore } from '../store/object-store.js';

/** What the dashboard and the API read: the job records, the history and the job's objects. */
export interface ApiDeps {
  readonly state: StateStore;
  readonly objects: ObjectStore;
  /** A URL a person can open for an object: a presigned URL in AWS, the server's own path locally. */
  link(key: string): Promise<string>;
  /** The status to show: locally, a RUNNING job whose process is gone is STALE. */
  statusOf?(job: JobRecord): Promise<string>;
}

/** One job in the list: its record, its chunks done so far, and its rows once it has any. */
export interface JobView {
  readonly jobId: string;
  readonly pipeline: string;
  readonly status: string;
  readonly input: { readonly key: string; readonly size: number };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly chunks: { readonly done: number; readonly total: number };
  /** Finished jobs: from the history; running ones: summed over their finished chunks. */
  readonly rows: { readonly in: number; readonly out: number; readonly rejected: number; readonly filtered: number } | null;
  readonly error?: string;
}

/** One rejected record, as the rejects parts hold it. */
export interface RejectLine {
  readonly line: number;
  readonly raw: string;
  readonly errors: readonly { readonly rule: string; readonly column?: string; readonly value?: string; readonly message: string }[];
}

export const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Jobs a list gives unless asked for fewer or more (at most MAX_JOBS). */
export const DEFAULT_JOBS = 200;
export const MAX_JOBS = 5000;

/** A request the API cannot answer as asked: a 400 with its message. */
export class BadRequest extends Error {}
const ORDER: readonly JobStatus[] = [JobStatus.RUNNING, JobStatus.PLANNED, JobStatus.FAILED, JobStatus.SUCCEEDED];

/** The jobs, running ones first, then newest first, at most `limit`; `pipeline` and `status` filter. */
export async function listJobViews(deps: ApiDeps, filter: { pipeline?: string; status?: string; limit?: number } = {}): Promise<JobView[]> {
  const records: JobRecord[] = [];
  for (const status of ORDER) {
    if (filter.status && filter.status !== status) continue;
    for await (const job of deps.state.jobsWithStatus(status)) if (!filter.pipeline || job.pipeline === filter.pipeline) records.push(job);
  }
  // Running first, then the latest: only those shown are looked at further.
  const rank = (j: JobRecord) => ORDER.indexOf(j.status);
  records.sort((a, b) => rank(a) - rank(b) || (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
  records.splice(filter.limit ?? DEFAULT_JOBS);
  const histories = new Map<string, Map<string, HistoryEntry>>();
  const views: JobView[] = [];
  for (const job of records) {
    let history = histories.get(job.pipeline);
    if (!history) histories.set(job.pipeline, (history = new Map((await deps.state.history(job.pipeline)).map((e) => [e.jobId, e]))));
    const e = history.get(job.jobId);
    views.push(await viewOf(deps, job, e && { in: e.rowsIn, out: e.rowsOut, rejected: e.rowsRejected, filtered: e.rowsFiltered }));
  }
  return views;
}

/** A job as the list shows it; `finishedRows`: a finished job's rows, from its history entry or report. */
async function viewOf(deps: ApiDeps, job: JobRecord, finishedRows: JobView['rows'] | undefined): Promise<JobView> {
  const finished = job.status === JobStatus.SUCCEEDED || job.status === JobStatus.FAILED;
  let rows: JobView['rows'] = finished ? (finishedRows ?? null) : null;
  let done = 0;
  if (finished && job.status === JobStatus.SUCCEEDED) done = job.chunks;
  else {
    const chunks = await deps.state.listChunks(job.jobId, { results: !finished });
    const ok = chunks.filter((c) => c.status === 'DONE');
    done = ok.length;
    if (!finished) {
      const sum = { in: 0, out: 0, rejected: 0, filtered: 0 };
      for (const c of ok) {
        const s = c.result?.stats;
        if (!s) continue;
        sum.in += s.rowsIn;
        sum.out += s.rowsOut;
        sum.rejected += s.rowsRejected;
        sum.filtered += s.rowsFiltered;
      }
      rows = sum;
    }
  }
  return {
    jobId: job.jobId,
    pipeline: job.pipeline,
    status: deps.statusOf ? await deps.statusOf(job) : job.status,
    input: { key: job.input.key, size: job.input.size },
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    chunks: { done, total: job.chunks },
    rows,
    ...(job.error ? { error: `${job.error.name}: ${job.error.message}` } : {}),
  };
}

/** A job's record and view, its report (once finalized), its rejects parts, and links to its report and rejects. */
export async function jobDetail(
  deps: ApiDeps,
  jobId: string,
): Promise<{ record: JobRecord; parts: RejectParts; job: JobView; report: JobReport | null; links: { report: string | null; rejects: string[] } } | undefined> {
  const record = await deps.state.getJob(jobId);
  if (!record) return undefined;
  const reports = layout.reports(record.pipeline, jobId);
  const body = await deps.objects.get(`${reports}report.json`);
  const report = body ? (JSON.parse(body.toString('utf8')) as JobReport) : null;
  const a = report?.accounting;
  const job = await viewOf(deps, record, a && { in: a.rowsIn, out: a.rowsOut, rejected: a.rowsRejected, filtered: a.rowsFiltered });
  const parts = await rejectParts(deps.objects, record.pipeline, record.jobId);
  return { record, parts, job, report, links: { report: report ? await deps.link(`${reports}report.html`) : null, rejects: await Promise.all(parts.map((p) => deps.link(p.key))) } };
}

/** Where the next page starts: a rejects part and a byte offset in it. */
interface Cursor {
  readonly part: number;
  readonly offset: number;
}

type RejectParts = Awaited<ReturnType<typeof rejectParts>>;

/** Which rejects a page shows: those of one rule, from a cursor. */
export interface RejectsQuery {
  readonly rule?: string;
  readonly cursor?: Cursor;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.part}:${c.offset}`).toString('base64url');
}

/** The cursor a page gave, or undefined when it is not one. */
export function decodeCursor(text: string): Cursor | undefined {
  const m = /^(\d{1,6}):(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return m ? { part: Number(m[1]), offset: Number(m[2]) } : undefined;
}

/**
 * A page of a job's rejects, in line order, with `rule` only those that failed it. A page reads
 * from where the last one stopped (a ranged read), so paging through a large job costs one read
 * of its rejects in all.
 */
export async function rejectsPage(deps: ApiDeps, job: JobRecord, options: RejectsQuery & { limit: number; parts?: RejectParts }): Promise<{ rejects: RejectLine[]; next: string | null }> {
  const parts = options.parts ?? (await rejectParts(deps.objects, job.pipeline, job.jobId));
  const out: RejectLine[] = [];
  let part = options.cursor?.part ?? 0;
  let offset = options.cursor?.offset ?? 0;
  for (; part < parts.length; part++, offset = 0) {
    const { key, size } = parts[part]!;
    if (offset >= size) continue;
    let at = offset;
    for await (const batch of lineBatches(deps.objects.read(key, { start: offset, end: size }))) {
      for (const text of batch) {
        at += Buffer.byteLength(text) + 1;
        if (!text) continue;
        let r: RejectLine;
        try {
          r = JSON.parse(text) as RejectLine;
        } catch {
          // Only a cursor that does not start at a line gets here: the parts are JSON lines.
          throw new BadRequest('not a cursor this API gave');
        }
        if (options.rule && !r.errors.some((e) => e.rule === options.rule)) continue;
        out.push({ line: r.line, raw: r.raw, errors: r.errors });
        if (out.length === options.limit) {
          const more = at < size || part + 1 < parts.length;
          return { rejects: out, next: more ? encodeCursor({ part, offset: Math.min(at, size) }) : null };
        }
      }
    }
  }
  return { rejects: out, next: null };
}
