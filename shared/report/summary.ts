import type { JobReport } from './job-report.js';

/** A job's summary for people: an e-mail's subject and text. */
export interface JobSummary {
  readonly subject: string;
  readonly text: string;
}

/** SNS takes a subject of printable ASCII, under 100 characters, on one line. */
const SUBJECT_CHARS = 99;
/** A sample's value in the text: a data value may be long (up to maxLineBytes). */
const VALUE_CHARS = 120;
/** The text within SNS's 256 KB a message, with room to spare. */
const TEXT_CHARS = 64_000;

function subjectOf(status: string, pipeline: string, key: string): string {
  const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');
  const head = `Sluice ${status}: ${ascii(pipeline)} `;
  const file = ascii(key.split('/').pop() ?? key);
  const room = SUBJECT_CHARS - head.length;
  // A long name keeps its end, where the site and year usually are.
  return head + (file.length <= room ? file : `~${file.slice(file.length - room + 1)}`);
}

const n = (v: number) => v.toLocaleString('en-US');
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s);

/**
 * What a finished job says in its e-mail: the accounting, the gate, each failed dataset rule,
 * each row rule that rejected rows with its first samples, and where the report is.
 */
export function reportSummary(report: JobReport, reportLink: string): JobSummary {
  const a = report.accounting;
  const lines = [
    `${report.pipeline} job ${report.jobId}: ${report.status}${report.failure ? ` (${report.failure})` : ''}`,
    `input: ${report.input.key} (${n(report.input.size)} bytes)`,
    '',
    `rows: ${n(a.rowsIn)} in = ${n(a.rowsOut)} out + ${n(a.rowsRejected)} rejected + ${n(a.rowsFiltered)} filtered${a.balanced ? '' : ' (DOES NOT BALANCE)'}`,
    `gate: ${report.qualityGate.passed ? 'passed' : 'FAILED'}: reject ratio ${(report.rejectRatio * 100).toFixed(2)}% of at most ${(report.qualityGate.maxRejectRatio * 100).toFixed(2)}%`,
  ];
  const failed = report.datasetRules.filter((r) => !r.passed);
  if (failed.length) {
    lines.push('', 'dataset rules that failed:');
    for (const r of failed) lines.push(`  ${r.severity === 'error' ? 'FAIL' : 'warn'} ${r.name}: ${r.detail}`);
  }
  const rejecting = Object.entries(report.stats.rules).filter(([, t]) => t.count > 0);
  if (rejecting.length) {
    lines.push('', 'row rules that rejected rows:');
    for (const [name, t] of rejecting) {
      lines.push(`  ${name}: ${n(t.count)}`);
      for (const x of t.samples) lines.push(`    line ${x.line}${x.column === undefined ? '' : `, ${x.column}`}${x.value === undefined ? '' : ` "${clip(x.value, VALUE_CHARS)}"`}: ${clip(x.message, 2 * VALUE_CHARS)}`);
    }
  }
  const body = clip(lines.join('\n'), TEXT_CHARS);
  return { subject: subjectOf(report.status, report.pipeline, report.input.key), text: `${body}\n\nreport: ${reportLink}\n` };
}

/** What a job that failed before finalize (a chunk that kept failing, a bad plan) says in its e-mail. */
export function failureSummary(job: { jobId: string; pipeline: string; key: string | undefined }, cause: { name: string; message: string }): JobSummary {
  const retried = cause.name.endsWith('TransientError') ? ['', 'The cause is transient: the sweep runs the job again, up to its max attempts.'] : [];
  const text = [`${job.pipeline} job ${job.jobId}: FAILED before its report`, `input: ${job.key ?? '(unknown)'}`, '', `${cause.name}: ${clip(cause.message, TEXT_CHARS)}`, ...retried, ''].join('\n');
  return { subject: subjectOf('FAILED', job.pipeline, job.key ?? job.jobId), text };
}
