import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { outputColumnNames } from '../config/references.js';
import { pipelineHash, stableJson } from '../config/resolve.js';
import type { Pipeline } from '../config/schema.js';
import { combine, type CombinedFile, type CombineOptions } from '../collect/combine.js';
import type { PartInfo } from '../formats/writers.js';
import { readJobPlanHead } from '../plan/manifest.js';
import { layout } from '../process/layout.js';
import { headerName } from '../process/row.js';
import type { CollectionFile, CollectionReport } from '../report/collection.js';
import { renderCollectionHtml } from '../report/html.js';
import type { SuccessManifest } from '../report/finalize.js';
import { matchPipeline } from '../config/match.js';
import { jobIdFor } from '../plan/plan.js';
import { JobStatus } from '../state/models.js';
import { INCOMING_PREFIX, type CloudDeps, type JobDeps } from './ports.js';

/** A finished job of the run, to be combined. */
export interface CollectMember {
  readonly jobId: string;
  readonly key: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
}

/** The commit marker of a collection: its results are valid only once this lists them. */
interface CollectionManifest {
  readonly collectionId: string;
  readonly pipeline: string;
  readonly files: readonly { readonly key: string; readonly jobId: string }[];
  readonly rows: { readonly in: number; readonly out: number; readonly duplicatesDropped: number };
  readonly parts: readonly PartInfo[];
  readonly report: string;
}

/** A deterministic id: the same jobs (so the same file versions and config) and the same collect settings give the same collection. */
export function collectionIdFor(pipeline: Pipeline, jobIds: readonly string[]): string {
  const h = createHash('sha256')
    .update([pipeline.name, pipelineHash(pipeline), stableJson(pipeline.collect ?? {}), ...[...jobIds].sort()].join('\u0000'))
    .digest('hex');
  return `${pipeline.name.slice(0, 40)}-c${h.slice(0, 23)}`;
}

/** Where a collection's parts and `_SUCCESS` go. */
export const collectionResults = (pipeline: string, id: string) => `${layout.collection(pipeline, id)}results/`;

/**
 * The collect step: combines the results of a run's jobs of one pipeline into one dataset
 * (deduplicated and sorted as `collect` says), after checking that the files agree on their
 * columns, and writes its parts, report.json/html and `_SUCCESS`. A collection whose
 * `_SUCCESS` exists is not combined again. A member job that failed fails the collection: its
 * rows are not all in its results.
 */
export async function collectStep(pipeline: Pipeline, members: readonly CollectMember[], deps: Pick<JobDeps, 'objects' | 'log'>, options: Pick<CombineOptions, 'partitionBytes' | 'partBytes'> = {}): Promise<{ report: CollectionReport; reportKey: string; skipped: boolean }> {
  const collect = pipeline.collect;
  if (!collect) throw new Error(`pipeline ${pipeline.name} has no collect`);
  const store = deps.objects;
  const id = collectionIdFor(pipeline, members.map((m) => m.jobId));
  const prefix = layout.collection(pipeline.name, id);
  const results = collectionResults(pipeline.name, id);
  const reportKey = `${prefix}report.html`;
  if (await store.head(`${results}_SUCCESS`)) {
    const stored = await store.get(`${prefix}report.json`);
    if (stored) return { report: JSON.parse(stored.toString('utf8')) as CollectionReport, reportKey, skipped: true };
  }
  const startedAt = new Date().toISOString();
  // Key order as a bucket lists keys (UTF-8 bytes), so first and last mean the same locally and in S3.
  const files = [...members].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || (a.jobId < b.jobId ? -1 : 1));
  const failed = files.filter((m) => m.status !== 'SUCCEEDED');
  const inputs: { key: string; parts: PartInfo[] }[] = [];
  const missing: string[][] = [];
  if (!failed.length) {
    for (const m of files) {
      const body = await store.get(`${layout.results(pipeline.name, m.jobId)}_SUCCESS`);
      if (!body) throw new Error(`job ${m.jobId} of ${m.key} has no _SUCCESS: its results are not committed`);
      inputs.push({ key: m.key, parts: [...(JSON.parse(body.toString('utf8')) as SuccessManifest).parts] });
      const plan = await readJobPlanHead(store, m.jobId);
      // Matched as the row processor matches them (headerName), so a padded header name is no difference.
      const names = new Set(plan.header?.map(headerName));
      missing.push(plan.header ? Object.entries(pipeline.schema.columns).map(([name, c]) => c.source ?? name).filter((source) => !names.has(headerName(source))) : []);
    }
  }
  const known = new Set(outputColumnNames(pipeline));
  let schema: CollectionReport['schema'] = { agreed: true, differences: [] };
  let extras: string[][] = [];
  let types: Record<string, string[]>[] = [];
  const outcome = failed.length
    ? undefined
    : await combine(store, inputs, collect, layout.collectionTemp(id), results, {
        ...options,
        beforeWrite: (seen) => {
          extras = seen.map((f) => [...f.kinds.keys()].filter((c) => !known.has(c)).sort());
          ({ schema, types } = agreement(files.map((m) => m.key), missing, extras, seen));
          if (!schema.agreed && collect.schemaDrift === 'fail') return `the files disagree on their columns (collect.schemaDrift: fail): ${schema.differences.join('; ')}`;
          return undefined;
        },
      });
  const seen: readonly (CombinedFile | undefined)[] = outcome?.files ?? files.map(() => undefined);
  const report: CollectionReport = {
    collectionId: id,
    pipeline: pipeline.name,
    ...collectionStatus(failed, outcome),
    startedAt,
    finishedAt: new Date().toISOString(),
    collect,
    schema,
    files: files.map((m, i): CollectionFile => ({
      key: m.key,
      jobId: m.jobId,
      status: m.status,
      ...(m.error ? { error: m.error } : {}),
      report: `${layout.reports(pipeline.name, m.jobId)}report.html`,
      rowsIn: seen[i]?.rowsIn ?? 0,
      rowsAdded: outcome?.ok ? seen[i]!.rowsAdded : 0,
      duplicatesDropped: outcome?.ok ? seen[i]!.duplicatesDropped : 0,
      missingColumns: missing[i] ?? [],
      extraColumns: extras[i] ?? [],
      types: types[i] ?? {},
    })),
    accounting: accountingOf(outcome),
    outputs: { results: outcome?.ok ? outcome.parts.length : 0, partitions: outcome?.ok ? outcome.partitions : 0, successKey: outcome?.ok ? `${results}_SUCCESS` : undefined },
  };
  await store.put(`${prefix}report.json`, `${JSON.stringify(report, null, 2)}\n`);
  await store.put(reportKey, renderCollectionHtml(report));
  if (outcome?.ok) {
    const manifest: CollectionManifest = {
      collectionId: id,
      pipeline: pipeline.name,
      files: files.map((m) => ({ key: m.key, jobId: m.jobId })),
      rows: { in: report.accounting.rowsIn, out: report.accounting.rowsOut, duplicatesDropped: report.accounting.duplicatesDropped },
      parts: outcome.parts,
      report: `${prefix}report.json`,
    };
    await store.put(`${results}_SUCCESS`, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  deps.log.info('collection finished', { collectionId: id, status: report.status, files: files.length });
  return { report, reportKey, skipped: false };
}

function collectionStatus(failed: readonly CollectMember[], outcome: Awaited<ReturnType<typeof combine>> | undefined): Pick<CollectionReport, 'status' | 'failure'> {
  if (failed.length) return { status: 'FAILED', failure: `${failed.length} file(s) did not succeed, so their rows are not all in their results: ${failed.map((m) => `${basename(m.key)} (${m.error ?? m.status})`).join('; ')}` };
  if (!outcome!.ok) return { status: 'FAILED', failure: outcome!.reason };
  const a = accountingOf(outcome);
  if (!a.balanced) return { status: 'FAILED', failure: `accounting does not balance: ${a.rowsIn} in ≠ ${a.rowsOut} out + ${a.duplicatesDropped} duplicates dropped` };
  return { status: 'SUCCEEDED' };
}

function accountingOf(outcome: Awaited<ReturnType<typeof combine>> | undefined): CollectionReport['accounting'] {
  const files = outcome?.files ?? [];
  const rowsIn = files.reduce((n, f) => n + f.rowsIn, 0);
  if (!outcome?.ok) return { rowsIn, rowsOut: 0, duplicatesDropped: 0, balanced: false };
  const rowsOut = outcome.parts.reduce((n, p) => n + p.rows, 0);
  const duplicatesDropped = files.reduce((n, f) => n + f.duplicatesDropped, 0);
  return { rowsIn, rowsOut, duplicatesDropped, balanced: rowsIn === rowsOut + duplicatesDropped && rowsOut === files.reduce((n, f) => n + f.rowsAdded, 0) };
}

/**
 * Whether the files agree: the same missing and extra columns, and no column whose values are
 * of one kind in a file and another kind in another. A file that differs from the most common
 * set of columns is named with its difference.
 */
function agreement(keys: readonly string[], missing: readonly (readonly string[])[], extra: readonly (readonly string[])[], seen: readonly Pick<CombinedFile, 'kinds'>[]): { schema: CollectionReport['schema']; types: Record<string, string[]>[] } {
  const differences: string[] = [];
  const signature = keys.map((_, i) => JSON.stringify([missing[i] ?? [], extra[i] ?? []]));
  const counts = new Map<string, number>();
  for (const s of signature) counts.set(s, (counts.get(s) ?? 0) + 1);
  const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const [commonMissing, commonExtra] = common ? (JSON.parse(common) as [string[], string[]]) : [[], []];
  keys.forEach((key, i) => {
    if (signature[i] === common) return;
    const parts: string[] = [];
    const lacks = [...(missing[i] ?? []).filter((c) => !commonMissing.includes(c)), ...commonExtra.filter((c) => !(extra[i] ?? []).includes(c))];
    const adds = [...commonMissing.filter((c) => !(missing[i] ?? []).includes(c)), ...(extra[i] ?? []).filter((c) => !commonExtra.includes(c))];
    if (lacks.length) parts.push(`lacks ${lacks.join(', ')}`);
    if (adds.length) parts.push(`has ${adds.join(', ')} that ${counts.get(common!)} other file(s) lack`);
    differences.push(`${key} ${parts.join(' and ')}`);
  });
  const kinds: Map<string, string[]>[] = keys.map(() => new Map());
  const columns = new Set(seen.flatMap((f) => [...f.kinds.keys()]));
  for (const column of [...columns].sort()) {
    const per = seen.map((f) => [...(f.kinds.get(column) ?? [])].sort());
    const distinct = new Set(per.filter((k) => k.length).map((k) => k.join('|')));
    if (distinct.size < 2) continue;
    per.forEach((k, i) => {
      if (k.length) kinds[i]!.set(column, k);
    });
    const byKinds = new Map<string, string[]>();
    per.forEach((k, i) => {
      if (k.length) byKinds.set(k.join(' or '), [...(byKinds.get(k.join(' or ')) ?? []), keys[i]!]);
    });
    differences.push(`column ${column} holds ${[...byKinds.entries()].map(([k, files]) => `${k} in ${files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ')}`).join('; ')}`);
  }
  // fromEntries defines own keys, so a column named __proto__ is a key like any other.
  return { schema: { agreed: differences.length === 0, differences }, types: kinds.map((m) => Object.fromEntries(m)) };
}

/** What the collect λ is asked: a pipeline, and its files by prefix (under incoming/) or by a manifest of keys. */
export interface CollectRequest {
  readonly pipeline: string;
  /** Every file under incoming/<prefix> that the pipeline takes. */
  readonly prefix?: string;
  /** A bucket object listing the keys, one a line (or a JSON array of them). */
  readonly manifestKey?: string;
  readonly keys?: readonly string[];
}

export type CollectOutcome =
  | { readonly status: 'WAITING'; readonly files: number; readonly pending: readonly string[] }
  | { readonly status: 'SUCCEEDED' | 'FAILED'; readonly collectionId: string; readonly files: number; readonly reportKey: string; readonly skipped: boolean; readonly failure?: string };

/**
 * The collect step in AWS: finds each file's job (the one its current version and the config
 * make) and, once every one has finished, combines them. Until then it says which are pending
 * and changes nothing, so the next scheduled run takes them.
 */
export async function collectRequestStep(request: CollectRequest, deps: CloudDeps): Promise<CollectOutcome> {
  const pipeline = deps.config.pipelines.find((p) => p.name === request.pipeline);
  if (!pipeline?.collect) throw new Error(`collect: pipeline ${request.pipeline} ${pipeline ? 'has no collect' : 'is not in the config'}`);
  const keys: string[] = [];
  if (request.keys) keys.push(...request.keys);
  if (request.manifestKey) {
    const body = await deps.objects.get(request.manifestKey);
    if (!body) throw new Error(`collect: no manifest ${request.manifestKey}`);
    const text = body.toString('utf8').trim();
    keys.push(...(text.startsWith('[') ? (JSON.parse(text) as string[]) : text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)));
  }
  if (request.prefix !== undefined || (!request.keys && !request.manifestKey)) {
    for await (const o of deps.objects.list(`${INCOMING_PREFIX}${request.prefix ?? ''}`)) {
      if (matchPipeline(deps.config, o.key.slice(INCOMING_PREFIX.length))?.name === pipeline.name) keys.push(o.key);
    }
  }
  const members: CollectMember[] = [];
  const pending: string[] = [];
  for (const key of [...new Set(keys)]) {
    const info = await deps.objects.head(key);
    if (!info) throw new Error(`collect: ${key} is not in the bucket`);
    const jobId = jobIdFor(pipeline, { key, etag: info.etag, size: info.size, versionId: info.versionId });
    const job = await deps.state.getJob(jobId);
    if (job?.status === JobStatus.SUCCEEDED || job?.status === JobStatus.FAILED) members.push({ jobId, key, status: job.status, ...(job.error ? { error: job.error.message } : {}) });
    else pending.push(key);
  }
  if (pending.length || !members.length) return { status: 'WAITING', files: members.length + pending.length, pending };
  const done = await collectStep(pipeline, members, deps);
  return { status: done.report.status, collectionId: done.report.collectionId, files: members.length, reportKey: done.reportKey, skipped: done.skipped, ...(done.report.failure ? { failure: done.report.failure } : {}) };
}
