import type { OutputFormat } from '../config/schema.js';
import type { SuccessManifest } from '../report/finalize.js';
import type { JobReport } from '../report/job-report.js';
import { readJobPipeline, readJobPlan } from '../plan/manifest.js';
import { linesBeforeData } from '../plan/plan.js';
import { InputError } from '../errors.js';
import { processChunk } from '../process/chunk.js';
import { layout } from '../process/layout.js';
import type { ObjectInfo, ObjectStore, ObjectWriter } from '../store/object-store.js';
import { digestPart, MultisetDigest } from './digest.js';
import { checkIndependently, type JobStats, type VerifyCheck } from './independent-check.js';
import { LineSequence } from './line-sequence.js';
import { createHash } from 'node:crypto';

export type { VerifyCheck } from './independent-check.js';

/**
 * What `sluice verify` found. `lost` and `duplicated` count records; both are 0 for a sound job,
 * and null when the job could not be compared with its input at all (a check says why).
 */
export interface VerifyReport {
  readonly jobId: string;
  readonly ok: boolean;
  readonly lost: number | null;
  readonly duplicated: number | null;
  readonly checks: readonly VerifyCheck[];
}

/**
 * Output of a reference pass that is hashed, not stored: every part's records go into one
 * digest for results and one for rejects, whatever the part keys.
 */
class DigestStore implements ObjectStore {
  readonly results = new MultisetDigest();
  readonly rejects = new MultisetDigest();
  constructor(private readonly format: OutputFormat) {}
  writer(key: string): ObjectWriter {
    const chunks: Uint8Array[] = [];
    const isReject = key.startsWith('rejects/');
    return {
      // A copy: the writer may fill its buffer again once this resolves.
      write: async (c) => void chunks.push(Buffer.from(typeof c === 'string' ? Buffer.from(c) : c)),
      commit: async () => {
        await digestPart(this.format, (async function* () { yield* chunks; })(), isReject ? this.rejects : this.results, isReject);
        chunks.length = 0;
      },
      abort: async () => void (chunks.length = 0),
    };
  }
  async put(): Promise<void> {}
  async head(): Promise<ObjectInfo | undefined> {
    return undefined;
  }
  async *read(): AsyncIterable<Uint8Array> {}
  async get(): Promise<Buffer | undefined> {
    return undefined;
  }
  async *list(): AsyncIterable<ObjectInfo> {}
  async delete(): Promise<void> {}
}

/**
 * Checks that every input record of a job ended in exactly one place. A fresh single pass over
 * the input (no chunks, no retries, no resume) gives the expected results, rejects and filtered
 * count; the job's committed parts must match it by count and by content digest (so a part
 * written twice shows as extra records), and `_SUCCESS` must list exactly the parts that exist,
 * once each, with their checksums. Since that pass shares the engine's reader, the input is also
 * read by an independent reader (csv-parse strict, JSON.parse, a plain count of line breaks;
 * see independent-check.ts): every physical line must be accounted for, the records, their start
 * lines and the malformed lines must agree, and "lost" is counted against its record count.
 */
export async function verifyJob(jobId: string, stores: { input: ObjectStore; output: ObjectStore }): Promise<VerifyReport> {
  const { input, output } = stores;
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const plan = await readJobPlan(output, jobId);
  const pipeline = await readJobPipeline(output, jobId);
  // Its checks rest on a second reader of the input; for workbooks there is none yet, so no claim is made.
  if (pipeline.format.type === 'xlsx') throw new InputError(jobId, 0, 'sluice verify needs a second reader of the input, and has none for xlsx workbooks yet');
  const successKey = `${layout.results(pipeline.name, jobId)}_SUCCESS`;
  const successBody = await output.get(successKey);
  if (!successBody) {
    check('committed', false, `${successKey} is missing: the job did not succeed, its results are not valid`);
    return { jobId, ok: false, lost: null, duplicated: null, checks };
  }
  const success = JSON.parse(successBody.toString('utf8')) as SuccessManifest;
  const report = JSON.parse((await output.get(success.report))?.toString('utf8') ?? '{}') as Partial<JobReport>;

  // The input must still be the version the job read (a versioned bucket keeps it by version id).
  if (!plan.input.versionId) {
    const now = await input.head(plan.input.key);
    check('input unchanged', now?.etag === plan.input.etag && now?.size === plan.input.size, now ? `${plan.input.key}: size ${now.size}, etag ${now.etag}` : `${plan.input.key} not found`);
  }

  // _SUCCESS lists exactly the parts that exist, each with its checksum, none twice.
  const listed = [...success.parts, ...success.rejects];
  const existing: string[] = [];
  for (const prefix of [layout.results(pipeline.name, jobId), layout.rejects(pipeline.name, jobId)]) {
    for await (const o of output.list(prefix)) if (!o.key.endsWith('_SUCCESS') && !o.key.includes('/external/')) existing.push(o.key);
  }
  const listedKeys = listed.map((p) => p.key);
  const unlisted = existing.filter((k) => !listedKeys.includes(k));
  const missing = listedKeys.filter((k) => !existing.includes(k));
  const twice = listedKeys.filter((k, i) => listedKeys.indexOf(k) !== i);
  check('parts match _SUCCESS', !unlisted.length && !missing.length && !twice.length, `${listed.length} listed; unlisted: ${unlisted.join(', ') || 'none'}; missing: ${missing.join(', ') || 'none'}; listed twice: ${twice.join(', ') || 'none'}`);
  let badSums = 0;
  const actualResults = new MultisetDigest();
  const actualRejects = new MultisetDigest();
  for (const part of listed) {
    if (missing.includes(part.key)) continue;
    const isReject = success.rejects.includes(part);
    const hash = createHash('sha256');
    const tee = (async function* () {
      for await (const c of output.read(part.key)) {
        hash.update(c);
        yield c;
      }
    })();
    await digestPart(pipeline.output.format, tee, isReject ? actualRejects : actualResults, isReject);
    if (hash.digest('hex') !== part.sha256) badSums++;
  }
  const read = listed.length - missing.length;
  check('checksums', badSums === 0, `${read - badSums} of ${read} parts that exist match their sha256`);

  // The reference: one sequential pass over the whole input.
  const reference = new DigestStore(pipeline.output.format);
  const whole = { index: 0, start: plan.chunks[0]?.start ?? plan.dataStart, end: plan.input.size };
  const engineStarts = new LineSequence();
  let ref;
  try {
    ref = await processChunk(pipeline, plan, whole, { input, output: reference, onRecordStart: (line) => engineStarts.add(linesBeforeData(plan) + line) });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    check('input readable as planned', false, e.message);
    return { jobId, ok: false, lost: null, duplicated: null, checks };
  }
  const s = ref.stats;
  const rows = success.rows;
  check('accounting', rows.in === rows.out + rows.rejected + rows.filtered, `${rows.in} in = ${rows.out} out + ${rows.rejected} rejected + ${rows.filtered} filtered`);
  check('records in', rows.in === s.rowsIn, `job counted ${rows.in}, a fresh pass counts ${s.rowsIn}`);
  const partRows = success.parts.reduce((n, p) => n + p.rows, 0);
  const rejectRows = success.rejects.reduce((n, p) => n + p.rows, 0);
  check('results by count', partRows === s.rowsOut && rows.out === s.rowsOut, `parts hold ${partRows} rows, expected ${s.rowsOut}`);
  check('results by content', actualResults.value === reference.results.value, `digest ${actualResults.value}, expected ${reference.results.value}`);
  check('rejects by count', rejectRows === s.rowsRejected, `reject parts hold ${rejectRows}, expected ${s.rowsRejected}`);
  check('rejects by content', actualRejects.value === reference.rejects.value, `digest ${actualRejects.value}, expected ${reference.rejects.value}`);
  check('filtered', rows.filtered === s.rowsFiltered && (report.accounting?.rowsFiltered ?? rows.filtered) === s.rowsFiltered, `${rows.filtered} filtered, expected ${s.rowsFiltered}`);
  // Counted from what was read, not from what the manifest claims. (CSV digests count lines, so
  // for CSV the manifest's row counts of the parts that exist stand in.)
  const readOut = pipeline.output.format === 'csv' ? success.parts.filter((p) => !missing.includes(p.key)).reduce((n, p) => n + p.rows, 0) : actualResults.count;

  // The same input through a reader that shares no code with the engine.
  const independent = await checkIndependently(
    {
      pipeline,
      input: plan.input,
      compression: plan.compression,
      header: plan.header,
      headerLines: plan.headerLines,
      skippedBefore: plan.skippedBefore ?? 0,
      rows,
      rejectParts: success.rejects.map((p) => p.key).filter((k) => !missing.includes(k)),
      stats: report.stats as JobStats | undefined,
      engineStarts,
    },
    stores,
  );
  checks.push(...independent.checks);
  // Every record the independent reader finds must be somewhere: this is what "0 lost" rests on.
  const expected = independent.records;
  const found = readOut + actualRejects.count + rows.filtered;
  return {
    jobId,
    ok: checks.every((c) => c.ok),
    lost: Math.max(0, expected - found),
    duplicated: Math.max(0, found - expected),
    checks,
  };
}
