import { gapText, GAPS_LISTED } from './completeness.js';
import type { CollectionReport } from './collection.js';
import type { DatasetRuleResult, JobReport, JobResources } from './job-report.js';
import type { ResourceRecord } from '../process/resources.js';
import type { SlotCoverage } from './stats.js';

/** Escapes text for use in HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const esc = escapeHtml;
export const num = (n: number): string => n.toLocaleString('en-US');
export const pct = (r: number): string => `${(r * 100).toFixed(2)}%`;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const NO_DATA = '<p class="nodata">No data</p>';

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]} (${num(n)} B)`;
}

export const badge = (ok: boolean, yes: string, no: string): string =>
  `<span class="badge ${ok ? 'ok' : 'bad'}">${ok ? yes : no}</span>`;

export function table(head: readonly string[], rows: readonly string[][]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const W = 640;
const M = { top: 10, right: 12, bottom: 44, left: 64 };

function figure(title: string, svg: string): string {
  return `<figure><figcaption>${esc(title)}</figcaption>${svg}</figure>`;
}

/** Horizontal bars, one per label; assumes at least one entry. */
function hbarChart(title: string, entries: readonly (readonly [string, number])[]): string {
  const rowH = 22;
  const labelW = 180;
  const h = entries.length * rowH + 30;
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const plotW = W - labelW - 70;
  const bars = entries
    .map(([label, v], i) => {
      const y = i * rowH + 4;
      const w = (v / max) * plotW;
      // Long rule names would run into the bars; the full name stays in the tooltip.
      const shown = label.length > 26 ? `${label.slice(0, 25)}…` : label;
      return (
        `<g><title>${esc(label)}: ${num(v)}</title>` +
        `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(shown)}</text>` +
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 6}" class="bar"/>` +
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 14}">${num(v)}</text></g>`
      );
    })
    .join('');
  const axisY = entries.length * rowH + 6;
  return figure(
    title,
    `<svg width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img">` +
      `<title>${esc(title)}</title>${bars}` +
      `<line x1="${labelW}" y1="${axisY}" x2="${labelW + plotW}" y2="${axisY}" class="axis"/>` +
      `<text x="${labelW + plotW / 2}" y="${axisY + 18}" text-anchor="middle">rejected rows</text></svg>`,
  );
}

interface VBars {
  readonly title: string;
  /** Number of x positions; bars may leave some empty, which shows gaps. */
  readonly slots: number;
  readonly bars: readonly { readonly slot: number; readonly value: number }[];
  readonly tip: (b: { readonly slot: number; readonly value: number }) => string;
  readonly xFirst: string;
  readonly xLast: string;
  readonly xTitle: string;
  readonly yTitle: string;
  /** A slot drawn apart (this run, in a trend). */
  readonly highlight?: number;
}

export function vbarChart(c: VBars): string {
  const h = 220;
  const plotW = W - M.left - M.right;
  const plotH = h - M.top - M.bottom;
  const max = Math.max(1, ...c.bars.map((b) => b.value));
  const slotW = plotW / Math.max(1, c.slots);
  const gap = slotW > 4 ? 1 : 0;
  const base = M.top + plotH;
  const rects = c.bars
    .map((b) => {
      const bh = (b.value / max) * plotH;
      const x = M.left + b.slot * slotW;
      return (
        `<rect x="${x.toFixed(2)}" y="${(base - bh).toFixed(2)}" width="${Math.max(0.5, slotW - gap).toFixed(2)}" ` +
        `height="${bh.toFixed(2)}" class="${b.slot === c.highlight ? 'bar now' : 'bar'}"><title>${esc(c.tip(b))}</title></rect>`
      );
    })
    .join('');
  return figure(
    c.title,
    `<svg width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img">` +
      `<title>${esc(c.title)}</title>${rects}` +
      `<line x1="${M.left}" y1="${base}" x2="${W - M.right}" y2="${base}" class="axis"/>` +
      `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${base}" class="axis"/>` +
      `<text x="${M.left - 4}" y="${M.top + 10}" text-anchor="end">${num(max)}</text>` +
      `<text x="${M.left - 4}" y="${base}" text-anchor="end">0</text>` +
      `<text x="${M.left}" y="${base + 16}">${esc(c.xFirst)}</text>` +
      `<text x="${W - M.right}" y="${base + 16}" text-anchor="end">${esc(c.xLast)}</text>` +
      `<text x="${M.left + plotW / 2}" y="${h - 6}" text-anchor="middle">${esc(c.xTitle)}</text>` +
      `<text transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(c.yTitle)}</text>` +
      `</svg>`,
  );
}

function rulesChart(report: JobReport): string {
  const entries = Object.entries(report.stats.rules)
    .map(([name, t]) => [name, t.count] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return entries.length ? hbarChart('Rejects by rule', entries) : `<h3>Rejects by rule</h3>${NO_DATA}`;
}

function chunksChart(report: JobReport): string {
  const entries = Object.entries(report.stats.rowsPerChunk)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0]);
  if (!entries.length) return `<h3>Rows per chunk</h3>${NO_DATA}`;
  return vbarChart({
    title: 'Rows per chunk',
    slots: entries.length,
    bars: entries.map(([, v], i) => ({ slot: i, value: v })),
    tip: (b) => `chunk ${entries[b.slot]![0]}: ${num(b.value)} rows`,
    xFirst: `#${entries[0]![0]}`,
    xLast: `#${entries[entries.length - 1]![0]}`,
    xTitle: 'chunk index',
    yTitle: 'rows',
  });
}

/** An anomaly rule's metric in the runs it was held against, then this run, drawn apart. */
function trendChart(r: DatasetRuleResult): string {
  const t = r.trend!;
  const title = `${r.name}: ${t.metric} over the last runs`;
  if (t.current === null && !t.past.length) return `<h3>${esc(title)}</h3>${NO_DATA}`;
  const values = [...t.past.map((p) => ({ label: p.jobId, value: p.value })), ...(t.current === null ? [] : [{ label: 'this run', value: t.current }])];
  return vbarChart({
    title,
    slots: values.length,
    bars: values.map((v, i) => ({ slot: i, value: v.value })),
    tip: (b) => `${values[b.slot]!.label}: ${num(b.value)}`,
    xFirst: t.past.length ? 'oldest' : 'this run',
    xLast: t.current === null ? 'newest' : 'this run',
    xTitle: 'run',
    yTitle: t.metric,
    ...(t.current === null ? {} : { highlight: values.length - 1 }),
  });
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cpuOf = (r: ResourceRecord) => (r.cpuUserMs === undefined ? '—' : `${secs(r.cpuUserMs)} user + ${secs(r.cpuSystemMs ?? 0)} system`);

/** Wall time per chunk (or external run), each bar's tip with its CPU, memory, bytes and bottleneck. */
function resourceChart(title: string, records: readonly (ResourceRecord & { readonly index: number })[]): string {
  if (!records.length) return `<h3>${esc(title)}</h3>${NO_DATA}`;
  const sorted = [...records].sort((a, b) => a.index - b.index);
  return vbarChart({
    title,
    slots: sorted.length,
    bars: sorted.map((r, i) => ({ slot: i, value: r.wallMs / 1000 })),
    tip: (b) => {
      const r = sorted[b.slot]!;
      const rss = r.peakRssBytes === undefined ? '' : `, peak RSS ${bytes(r.peakRssBytes)}`;
      const wait = r.cpuWaitMs ? `, ${secs(r.cpuWaitMs)} waiting for a core` : '';
      return `chunk ${r.index}: ${secs(r.wallMs)} wall, CPU ${cpuOf(r)}${wait}${rss}, ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}, bottleneck ${r.bottleneck}`;
    },
    xFirst: `#${sorted[0]!.index}`,
    xLast: `#${sorted[sorted.length - 1]!.index}`,
    xTitle: 'chunk index',
    yTitle: 'wall seconds',
  });
}

export function resourcesSection(r: JobResources | undefined): string {
  if (!r) return `<h2>Resources</h2>${NO_DATA}`;
  const j = r.job;
  const counts = (list: readonly ResourceRecord[]) => (['cpu', 'io', 'memory', 'waiting'] as const).map((b) => [b, list.filter((x) => x.bottleneck === b).length] as const).filter(([, n]) => n > 0).map(([b, n]) => `${n} ${b}`).join(', ');
  return `<h2>Resources</h2>
${table(['Measure', 'Job'], [
  ['Wall time', esc(secs(j.wallMs))],
  ['CPU time', esc(cpuOf(j))],
  ['Waiting for a core', esc(j.cpuWaitMs === undefined ? '—' : secs(j.cpuWaitMs))],
  ['Peak RSS', esc(j.peakRssBytes === undefined ? '—' : bytes(j.peakRssBytes))],
  ['Bytes read / written', esc(`${bytes(j.bytesRead ?? 0)} / ${bytes(j.bytesWritten ?? 0)}`)],
  ['Retries', num(j.retries)],
  ['Bottleneck', `<b>${esc(j.bottleneck)}</b>`],
  ['Chunks by bottleneck', esc(counts(r.chunks) || '—')],
])}
<p class="nodata">${esc(r.rule)}</p>
${resourceChart('Wall time per chunk', r.chunks)}
${r.external.length ? resourceChart('Wall time per external run', r.external) : ''}`;
}

const DAY_MS = 86_400_000;

/** Present slots per UTC day (by slot start), summed over the groups kept as ranges. */
function slotsPerDay(c: SlotCoverage): Map<number, number> {
  const days = new Map<number, number>();
  const I = c.intervalMs;
  for (const r of Object.values(c.ranges)) {
    for (let k = 0; k < r.length; k += 2) {
      for (let s = r[k]!, e = r[k + 1]!; s < e; ) {
        const d = Math.floor((s * I) / DAY_MS);
        const next = Math.min(e, Math.ceil(((d + 1) * DAY_MS) / I));
        days.set(d, (days.get(d) ?? 0) + next - s);
        s = next;
      }
    }
  }
  return days;
}

function coverageChart(c: SlotCoverage): string {
  const groups = Object.keys(c.ranges).length + Object.keys(c.counted).length;
  const by = c.groupBy.length ? `, ${groups} group${groups === 1 ? '' : 's'} by ${c.groupBy.join(', ')}` : '';
  const title = `Time coverage of ${c.column} (${interval(c.intervalMs)}${by})`;
  const entries = [...slotsPerDay(c)].sort((a, b) => a[0] - b[0]);
  if (!entries.length) return `<h3>${esc(title)}</h3>${NO_DATA}`;
  const lo = entries[0]![0];
  const hi = entries[entries.length - 1]![0];
  // Only days with slots get a rect, so missing days show as gaps without bloating the SVG.
  return vbarChart({
    title,
    slots: hi - lo + 1,
    bars: entries.map(([k, v]) => ({ slot: k - lo, value: v })),
    tip: (b) => `${day((b.slot + lo) * DAY_MS)}: ${num(b.value)} slots present`,
    xFirst: day(lo * DAY_MS),
    xLast: day(hi * DAY_MS),
    xTitle: 'day (UTC)',
    yTitle: 'present slots per day',
  });
}

function interval(ms: number): string {
  for (const [unit, size] of [['d', DAY_MS], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Per group of a completeness rule: counts, then its first missing runs (up to GAPS_LISTED each). */
function missingSlots(r: DatasetRuleResult): string {
  const groups = r.groups ?? [];
  const shown = groups.slice(0, 100);
  const grouped = groups.some((g) => g.group !== '');
  const counts = grouped
    ? table(['Group', 'Present', 'Expected', 'Ratio'], shown.map((g) => [esc(g.group), num(g.present), num(g.expected), `${pct(g.ratio)}${g.exact ? '' : ' (approximate)'}`]))
    : '';
  const label = (g: { group: string }) => (grouped ? `${esc(g.group)}: ` : '');
  const gaps = shown.flatMap((g) => [
    ...g.gaps.map((x) => `<li>${label(g)}${esc(gapText(x))}</li>`),
    ...(!g.exact ? [`<li>${label(g)}not listed: over the range bound, counts are approximate</li>`] : g.gapCount > g.gaps.length ? [`<li>${label(g)}${num(g.gapCount - g.gaps.length)} more missing run(s)</li>`] : []),
  ]);
  const more = groups.length > shown.length ? `<p>${num(groups.length - shown.length)} more group(s) in report.json</p>` : '';
  return (
    `<h3>Completeness of ${esc(r.name)}</h3>${counts}${more}` +
    (gaps.length ? `<p>First missing slots (up to ${GAPS_LISTED} per group; from the start of the first missing slot to the start of the last, inclusive):</p><ul>${gaps.join('')}</ul>` : '<p>No missing slots</p>')
  );
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.badge{padding:2px 8px;border-radius:4px;color:#fff;font-weight:bold}
.ok{background:#2e7d32}.bad{background:#c62828}.failure{background:#fdecea;border-left:4px solid #c62828;padding:.5em 1em;white-space:pre-wrap}
code{background:#f4f4f4;padding:0 3px}ul{margin:0;padding-left:1.2em}.nodata{color:#777;font-style:italic}
svg text{font-size:11px;fill:#333}.bar{fill:#4a7fb5}.bar.now{fill:#d9822b}.axis{stroke:#555}figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}`;

/** A self-contained page: the report's CSS inline, an optional inline script, no external assets. */
export function htmlPage(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>
${body}
${script ? `<script>${script}</script>\n` : ''}</body></html>
`;
}

/** Renders a job report as a self-contained HTML page (inline CSS and SVG, no scripts or external assets). */
export function renderReportHtml(report: JobReport): string {
  const a = report.accounting;
  const s = report.stats;
  const ok = report.status === 'SUCCEEDED';
  const datasetRows = report.datasetRules.map((r) => [
    esc(r.name), esc(r.type), esc(r.severity), badge(r.passed, 'passed', 'failed'), esc(r.detail),
  ]);
  const failureRows = Object.entries(s.rules).map(([name, t]) => {
    const samples = t.samples.map((x) => {
      const col = x.column === undefined ? '' : `, column <code>${esc(x.column)}</code>`;
      const val = x.value === undefined ? '' : `, value <code>${esc(x.value)}</code>`;
      return `<li>line ${num(x.line)}${col}${val}: ${esc(x.message)}</li>`;
    });
    return [esc(name), num(t.count), samples.length ? `<ul>${samples.join('')}</ul>` : ''];
  });
  const warningRows = Object.entries(s.warnings).map(([name, n]) => [esc(name), num(n)]);
  const columnRows = report.columns.map((c) => [
    esc(c.name), esc(c.type), num(c.count), num(c.nulls), esc(c.min ?? '—'), esc(c.max ?? '—'), num(c.distinct),
  ]);
  const none = '<p class="nodata">None</p>';
  return htmlPage(
    `Sluice report ${report.pipeline} / ${report.jobId}`,
    `<h1>${esc(report.pipeline)} ${badge(ok, 'SUCCEEDED', 'FAILED')}</h1>
${table(['Field', 'Value'], [
  ['Job', `<code>${esc(report.jobId)}</code>`],
  ['Input', `<code>${esc(report.input.key)}</code>`],
  ['Size', esc(bytes(report.input.size))],
  ['Started', esc(report.startedAt)],
  ['Finished', esc(report.finishedAt)],
])}
${report.failure ? `<div class="failure">${esc(report.failure)}</div>` : ''}
<h2>Accounting</h2>
<p><code>rowsIn = rowsOut + rowsRejected + rowsFiltered</code></p>
<p><code>${num(a.rowsIn)} = ${num(a.rowsOut)} + ${num(a.rowsRejected)} + ${num(a.rowsFiltered)}</code>
${badge(a.balanced, 'balanced', 'does not balance')}</p>
${a.blankLines || a.skippedLines ? `<p>Lines with no row: ${num(a.blankLines ?? 0)} blank, ${num(a.skippedLines ?? 0)} skipped (format.skipRows, comments)</p>\n` : ''}<p>Quality gate: reject ratio ${pct(report.rejectRatio)} of at most ${pct(report.qualityGate.maxRejectRatio)}, and at least one row out when rows came in
${badge(report.qualityGate.passed, 'gate passed', 'gate failed')}</p>
<h2>Dataset rules</h2>
${datasetRows.length ? table(['Name', 'Type', 'Severity', 'Result', 'Detail'], datasetRows) : none}
${report.datasetRules.filter((r) => r.groups).map(missingSlots).join('\n')}
${report.datasetRules.filter((r) => r.trend).map(trendChart).join('\n')}
<h2>Rule failures</h2>
${rulesChart(report)}
${failureRows.length ? table(['Rule', 'Count', 'Samples'], failureRows) : none}
<h2>Warnings</h2>
${warningRows.length ? table(['Warning', 'Count'], warningRows) : none}
<h2>Columns</h2>
${columnRows.length ? table(['Name', 'Type', 'Count', 'Nulls', 'Min', 'Max', 'Distinct'], columnRows) : none}
<h2>Plan</h2>
<p>${num(report.plan.chunks)} chunk(s), method <code>${esc(report.plan.method)}</code></p>
${chunksChart(report)}
${resourcesSection(report.resources)}
<h2>Time coverage</h2>
${s.coverage.length ? s.coverage.map(coverageChart).join('\n') : NO_DATA}`,
  );
}

/** Where `to` is seen from the folder of `from` (both store keys), for links between reports. */
function relativeKey(from: string, to: string): string {
  const a = from.split('/').slice(0, -1);
  const b = to.split('/');
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

/** Renders a collection's report: the files with links to their reports, what each added and dropped, the schema check and the totals. */
export function renderCollectionHtml(report: CollectionReport): string {
  const a = report.accounting;
  const ok = report.status === 'SUCCEEDED';
  const self = `collections/${report.pipeline}/${report.collectionId}/report.html`;
  const dedupe = report.collect.dedupe;
  const keep = dedupe ? (typeof dedupe.keep === 'string' ? dedupe.keep : 'max' in dedupe.keep ? `max of ${dedupe.keep.max}` : `min of ${dedupe.keep.min}`) : '';
  const fileRows = report.files.map((f) => [
    `<a href="${esc(relativeKey(self, f.report))}"><code>${esc(f.key)}</code></a>`,
    badge(f.status === 'SUCCEEDED', f.status, f.status),
    num(f.rowsIn),
    num(f.rowsAdded),
    num(f.duplicatesDropped),
    esc([f.missingColumns.length ? `lacks ${f.missingColumns.join(', ')}` : '', f.extraColumns.length ? `has ${f.extraColumns.join(', ')}` : '', ...Object.entries(f.types).map(([c, k]) => `${c}: ${k.join(' or ')}`)].filter(Boolean).join('; ') || '—'),
  ]);
  return htmlPage(
    `Sluice collection ${report.pipeline} / ${report.collectionId}`,
    `<h1>${esc(report.pipeline)}: a collection of ${num(report.files.length)} files ${badge(ok, 'SUCCEEDED', 'FAILED')}</h1>
${table(['Field', 'Value'], [
  ['Collection', `<code>${esc(report.collectionId)}</code>`],
  ['Dedupe', dedupe ? `key <code>${esc(dedupe.key.join(', '))}</code>, keep ${esc(keep)}` : 'none'],
  ['Sort', report.collect.sort.length ? `<code>${esc(report.collect.sort.join(', '))}</code>` : 'file order'],
  ['Started', esc(report.startedAt)],
  ['Finished', esc(report.finishedAt)],
])}
${report.failure ? `<div class="failure">${esc(report.failure)}</div>` : ''}
<h2>Accounting</h2>
<p><code>rowsIn = rowsOut + duplicatesDropped</code></p>
<p><code>${num(a.rowsIn)} = ${num(a.rowsOut)} + ${num(a.duplicatesDropped)}</code> ${badge(a.balanced, 'balanced', 'does not balance')}</p>
<h2>Schema</h2>
${report.schema.agreed ? '<p>Every file has the same columns, with the same kinds of values.</p>' : `<ul>${report.schema.differences.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`}
<h2>Files</h2>
${table(['File', 'Job', 'Rows', 'Added', 'Duplicates dropped', 'Schema'], fileRows)}`,
  );
}
