import { badge, escapeHtml as esc, htmlPage, num, pct, resourcesSection, table, vbarChart } from '../report/html.js';
import type { HistoryEntry } from '../state/models.js';
import type { jobDetail, JobView, RejectLine } from './jobs.js';

/** A dashboard page: the report's page, with a way back to the jobs. */
const page = (title: string, body: string, script = '') => htmlPage(title, `<p><a href="/">Jobs</a></p>\n${body}`, script);

const statusBadge = (s: string) => badge(s === 'SUCCEEDED' || s.startsWith('RUNNING'), s, s);

/** The cells of a job's row; the page's script renders the same cells from /api/jobs. */
function jobCells(j: JobView): string[] {
  return [
    `<a href="/jobs/${esc(j.jobId)}"><code>${esc(j.jobId)}</code></a>`,
    `<a href="/pipelines/${esc(j.pipeline)}">${esc(j.pipeline)}</a>`,
    statusBadge(j.status),
    `<span class="chunks">${j.chunks.done}/${j.chunks.total}</span>`,
    j.rows ? num(j.rows.in) : '—',
    j.rows ? num(j.rows.out) : '—',
    j.rows ? num(j.rows.rejected) : '—',
    `<code>${esc(j.input.key)}</code>`,
    esc(j.updatedAt),
  ];
}

const JOB_HEAD = ['Job', 'Pipeline', 'Status', 'Chunks', 'Rows in', 'Out', 'Rejected', 'Input', 'Updated'];

// Polls the API each second and redraws the table, so a running job's chunks move.
const POLL = `
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const n = (x) => x.toLocaleString('en-US');
async function poll() {
  try {
    const { jobs } = await (await fetch('/api/jobs')).json();
    const ok = (s) => s === 'SUCCEEDED' || s.startsWith('RUNNING');
    document.querySelector('#jobs tbody').innerHTML = jobs.map((j) => '<tr data-job="' + esc(j.jobId) + '">' + [
      '<a href="/jobs/' + esc(j.jobId) + '"><code>' + esc(j.jobId) + '</code></a>',
      '<a href="/pipelines/' + esc(j.pipeline) + '">' + esc(j.pipeline) + '</a>',
      '<span class="badge ' + (ok(j.status) ? 'ok' : 'bad') + '">' + esc(j.status) + '</span>',
      '<span class="chunks">' + j.chunks.done + '/' + j.chunks.total + '</span>',
      j.rows ? n(j.rows.in) : '—', j.rows ? n(j.rows.out) : '—', j.rows ? n(j.rows.rejected) : '—',
      '<code>' + esc(j.input.key) + '</code>', esc(j.updatedAt),
    ].map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('');
    document.querySelector('#updated').textContent = new Date().toISOString();
  } catch (e) {
    document.querySelector('#updated').textContent = 'cannot reach the server: ' + e.message;
  }
}
setInterval(poll, 1000);`;

/** The jobs, running first, with their progress; refreshed every second. */
export function jobsPage(jobs: readonly JobView[]): string {
  const rows = jobs.map((j) => `<tr data-job="${esc(j.jobId)}">${jobCells(j).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  const th = JOB_HEAD.map((h) => `<th>${esc(h)}</th>`).join('');
  return page('Sluice jobs', `<h1>Jobs</h1>
<p>Refreshed every second; last at <span id="updated">${esc(new Date().toISOString())}</span>.</p>
<table id="jobs"><thead><tr>${th}</tr></thead><tbody>${rows}</tbody></table>`, POLL);
}

/** A job: its counts, gate, rules, resources, and a page of its rejects filtered by rule. */
export function jobPage(detail: NonNullable<Awaited<ReturnType<typeof jobDetail>>>, rejects: { rejects: RejectLine[]; next: string | null }, rule: string | undefined): string {
  const { job, report, links } = detail;
  const a = report?.accounting;
  const rules = report ? Object.keys(report.stats.rules).sort() : [];
  const options = ['<option value="">every rule</option>', ...rules.map((r) => `<option value="${esc(r)}"${r === rule ? ' selected' : ''}>${esc(r)} (${num(report!.stats.rules[r]!.count)})</option>`)].join('');
  const rejectRows = rejects.rejects.map((r) => [num(r.line), r.errors.map((e) => `<code>${esc(e.rule)}</code>${e.column ? ` ${esc(e.column)}` : ''}: ${esc(e.message)}`).join('<br>'), `<code>${esc(r.raw.length > 200 ? `${r.raw.slice(0, 200)}…` : r.raw)}</code>`]);
  const next = rejects.next ? `<p><a id="next" href="?${new URLSearchParams({ ...(rule ? { rule } : {}), cursor: rejects.next }).toString()}">next page</a></p>` : '';
  const counts = a
    ? `<table id="counts"><tbody>
<tr><th>Rows in</th><td data-count="rowsIn">${num(a.rowsIn)}</td></tr>
<tr><th>Rows out</th><td data-count="rowsOut">${num(a.rowsOut)}</td></tr>
<tr><th>Rejected</th><td data-count="rowsRejected">${num(a.rowsRejected)}</td></tr>
<tr><th>Filtered</th><td data-count="rowsFiltered">${num(a.rowsFiltered)}</td></tr>
<tr><th>Reject ratio</th><td>${pct(report!.rejectRatio)} (gate: at most ${pct(report!.qualityGate.maxRejectRatio)}) ${badge(report!.qualityGate.passed, 'gate passed', 'gate failed')}</td></tr>
</tbody></table>`
    : `<p>Not finalized yet: ${job.chunks.done} of ${job.chunks.total} chunks done.</p>`;
  const datasetRules = report?.datasetRules.length ? table(['Rule', 'Result', 'Detail'], report.datasetRules.map((r) => [esc(r.name), badge(r.passed, 'passed', r.severity === 'error' ? 'failed' : 'warning'), esc(r.detail)])) : '<p class="nodata">None</p>';
  return page(`Sluice job ${job.jobId}`, `<h1>${esc(job.pipeline)} ${statusBadge(job.status)}</h1>
${table(['Field', 'Value'], [
  ['Job', `<code>${esc(job.jobId)}</code>`],
  ['Input', `<code>${esc(job.input.key)}</code> (${num(job.input.size)} B)`],
  ['Chunks', `${job.chunks.done}/${job.chunks.total}`],
  ['Report', links.report ? `<a href="${esc(links.report)}">report.html</a>` : '—'],
  ['Trends', `<a href="/pipelines/${esc(job.pipeline)}">${esc(job.pipeline)} history</a>`],
])}
${report?.failure ? `<div class="failure">${esc(report.failure)}</div>` : ''}
<h2>Counts</h2>
${counts}
<h2>Dataset rules</h2>
${datasetRules}
${report ? resourcesSection(report.resources) : ''}
<h2>Rejects</h2>
<form method="get"><label>Rule <select name="rule" id="rule" onchange="this.form.submit()">${options}</select></label> <noscript><button>Filter</button></noscript></form>
${rejectRows.length ? `<table id="rejects"><thead><tr><th>Line</th><th>Reasons</th><th>Text</th></tr></thead><tbody>${rejectRows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>` : '<p class="nodata">None</p>'}
${next}`);
}

/** A pipeline's runs, oldest first: rows out and reject ratio as charts, then a table. */
export function pipelinePage(name: string, entries: readonly HistoryEntry[]): string {
  const chart = (title: string, value: (e: HistoryEntry) => number, label: (v: number) => string) =>
    entries.length
      ? vbarChart({ title, slots: entries.length, bars: entries.map((e, i) => ({ slot: i, value: value(e) })), tip: (b) => `${entries[b.slot]!.jobId}: ${label(b.value)}`, xFirst: 'oldest', xLast: 'newest', xTitle: 'run', yTitle: title })
      : '<p class="nodata">No runs yet</p>';
  const rows = [...entries].reverse().map((e) => [esc(e.finishedAt), statusBadge(e.status), num(e.rowsIn), num(e.rowsOut), num(e.rowsRejected), pct(e.rejectRatio), `${(e.durationMs / 1000).toFixed(1)} s`, `<a href="/jobs/${esc(e.jobId)}"><code>${esc(e.jobId)}</code></a>`, `<code>${esc(e.input.key)}</code>`]);
  return page(`Sluice pipeline ${name}`, `<h1>${esc(name)}: ${num(entries.length)} run(s)</h1>
${chart('rows out', (e) => e.rowsOut, num)}
${chart('rejected rows', (e) => e.rowsRejected, num)}
${table(['Finished', 'Status', 'Rows in', 'Out', 'Rejected', 'Reject %', 'Time', 'Job', 'Input'], rows)}`);
}

