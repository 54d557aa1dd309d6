import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { shownStatus } from '../shared/local/job-lock.js';
import { layout } from '../shared/process/layout.js';
import type { JobReport } from '../shared/report/job-report.js';
import type { ChunkRecord, JobRecord } from '../shared/state/models.js';

/** One job as `sluice status` shows it. */
export interface JobStatusRow {
  readonly jobId: string;
  /** The recorded status, except that a RUNNING job whose process is gone shows as STALE. */
  readonly status: string;
  /** Rows so far: from the report when the job finished, else summed over its finished chunks. */
  readonly counts: { in: number; out: number; rejected: number };
  readonly chunks: { done: number; total: number };
  readonly updatedAt: string;
  readonly input: string;
  readonly results: string;
  readonly error?: string;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Reads every job under `out` and changes nothing (a corrupt checkpoint is skipped, not moved). */
export async function listJobs(out: string): Promise<JobStatusRow[]> {
  const stateRoot = join(out, 'state');
  const ids = (await readdir(stateRoot).catch(() => [] as string[])).sort();
  const jobs: JobStatusRow[] = [];
  for (const id of ids) {
    const job = await readJson<JobRecord>(join(stateRoot, id, 'job.json'));
    if (!job?.jobId) continue;
    const status = await shownStatus(stateRoot, job);
    const counts = { in: 0, out: 0, rejected: 0 };
    let done = 0;
    const report = job.reportKey ? await readJson<JobReport>(join(out, job.reportKey)) : undefined;
    if (report) {
      Object.assign(counts, { in: report.accounting.rowsIn, out: report.accounting.rowsOut, rejected: report.accounting.rowsRejected });
      done = report.plan.chunks;
    } else {
      const names = (await readdir(join(stateRoot, id)).catch(() => [] as string[])).filter((n) => /^chunk-\d{6}\.json$/.test(n));
      for (const n of names) {
        const c = await readJson<ChunkRecord>(join(stateRoot, id, n));
        if (c?.status !== 'DONE' || !c.result) continue;
        done++;
        counts.in += c.result.stats.rowsIn;
        counts.out += c.result.stats.rowsOut;
        counts.rejected += c.result.stats.rowsRejected;
      }
    }
    jobs.push({
      jobId: id,
      status,
      counts,
      chunks: { done, total: job.chunks },
      updatedAt: job.updatedAt,
      input: job.inputRoot ? join(job.inputRoot, job.input.key) : job.input.key,
      results: join(out, layout.results(job.pipeline, id)),
      ...(job.error ? { error: `${job.error.name}: ${job.error.message}` } : {}),
    });
  }
  return jobs;
}

/** "42 s", "5 min", "3 h", "2 d". */
export function age(sinceIso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(sinceIso)) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** Columns padded to their widest cell, two spaces apart; the last one is not padded. */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The table `sluice status` prints: a header, then one line per job (and its error, indented). */
export function formatJobs(jobs: readonly JobStatusRow[], out: string, now = Date.now()): string {
  if (!jobs.length) return `no jobs under ${out}`;
  const cwd = process.cwd();
  const table = [
    ['JOB', 'STATUS', 'ROWS IN', 'OUT', 'REJECTED', 'CHUNKS', 'AGE', 'INPUT', 'RESULTS'],
    ...jobs.map((j) => [
      j.jobId,
      j.status,
      String(j.counts.in),
      String(j.counts.out),
      String(j.counts.rejected),
      `${j.chunks.done}/${j.chunks.total}`,
      age(j.updatedAt, now),
      relative(cwd, j.input) || j.input,
      relative(cwd, j.results),
    ]),
  ];
  const lines = formatTable(table[0]!, table.slice(1)).split('\n');
  jobs.forEach((j, i) => {
    if (j.error) lines[i + 1] += `\n    ${j.error}`;
  });
  return lines.join('\n');
}
