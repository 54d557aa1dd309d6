import { basename } from 'node:path';
import type { Pipeline } from '../config/schema.js';
import { dialectOf } from '../config/resolve.js';
import { InputError } from '../errors.js';
import { readJobPipeline, readJobPlan } from '../plan/manifest.js';
import { layout, rejectParts } from '../process/layout.js';
import { lineBatches } from '../store/lines.js';
import type { ObjectStore } from '../store/object-store.js';

/** A job's rejected records, written out as a file of their own to run again after a fix. */
export interface ReplayInput {
  /** Where the file was written in the store. */
  readonly key: string;
  /** The pipeline it must run through: the job's, read as the file is written (UTF-8, no rows to skip, no compression). */
  readonly pipeline: Pipeline;
  readonly records: number;
  /** The original line of each record, in the file's order; `lines.json` beside the file holds it too. */
  readonly originalLines: readonly number[];
  /** Rejects left out, whose text is not their record (see `writeReplayInput`): they stay rejects of the job. */
  readonly skippedLines: readonly number[];
}

/** Text gathered before a write: one write per record would make a large replay slow. */
const WRITE_CHARS = 1 << 20;

/** Quotes a header name the way a CSV reader reads it back: only when it holds the delimiter, the quote or a line break. */
export function headerField(name: string, delimiter: string, quote: string): string {
  if (!quote || !(name.includes(delimiter) || name.includes(quote) || /[\r\n]/.test(name))) return name;
  return `${quote}${name.split(quote).join(quote + quote)}${quote}`;
}

/**
 * Writes the rejected records of a finished job (`rejects/<pipeline>/<jobId>/part-*.jsonl`, each
 * line's `raw` text, which is the record's text without its line end) under `replay/<jobId>/`,
 * after a header line made from the header the job read, so they can run again through the config
 * as it is now, with its fix. A reject whose text is not its record (an over-long record's
 * preview, or one with bytes that were not UTF-8) is left out and named. `lines.json` maps each
 * record back to its line in the input.
 */
export async function writeReplayInput(store: ObjectStore, jobId: string, configured: (name: string) => Pipeline): Promise<ReplayInput> {
  const recorded = await readJobPipeline(store, jobId).catch(() => undefined);
  if (!recorded) throw new InputError(layout.manifests(jobId), 0, `no job ${jobId} here (its plan is not under manifests/)`);
  if (recorded.format.type === 'xlsx') throw new InputError(jobId, 0, 'a workbook\'s rejects name cells, not lines, and cannot be replayed as a file');
  const plan = await readJobPlan(store, jobId);
  const prefix = layout.rejects(recorded.name, jobId);
  const parts = (await rejectParts(store, recorded.name, jobId)).map((p) => p.key);
  if (!parts.length && !(await store.head(`${layout.reports(recorded.name, jobId)}report.json`))) throw new InputError(prefix, 0, `job ${jobId} has not finished: its rejects are published when it is finalized`);

  const pipeline = configured(recorded.name);
  // A pipeline of its own (`<name>-replay`): its results, history and rules stay apart from the
  // pipeline's; dataset rules (unique, completeness, row counts, anomalies) mean nothing over a
  // handful of rejects, so they are left out, and so is collect; its quality gate stays.
  const { collect: _collect, ...own } = pipeline;
  const replayed: Pipeline = { ...own, name: `${pipeline.name.slice(0, 56)}-replay`, format: { ...own.format, encoding: 'utf-8', compression: 'none', skipRows: 0 }, rules: { ...own.rules, dataset: [] } };
  const key = `replay/${jobId}/${basename(plan.input.key).replace(/\.gz$/i, '')}`;
  const out = store.writer(key);
  const lineBreak = plan.lineBreak ?? '\n';
  const originalLines: number[] = [];
  const skippedLines: number[] = [];
  let pending = '';
  const flush = async () => {
    if (pending) await out.write(pending);
    pending = '';
  };
  try {
    if (replayed.format.header !== false && plan.header && replayed.format.type !== 'jsonl') {
      const { delimiter, quote } = dialectOf(replayed);
      pending = `${plan.header.map((h) => headerField(h, delimiter, quote)).join(delimiter)}${lineBreak}`;
    }
    for (const part of parts) {
      const take = async (line: string) => {
        if (!line) return;
        const r = JSON.parse(line) as { line: number; raw: string; errors: { message: string }[] };
        // Its text is not the record: a preview of an over-long one, or bytes that were not UTF-8.
        if (r.errors.some((e) => e.message.startsWith('record longer than maxLineBytes')) || r.raw.includes('\uFFFD')) {
          skippedLines.push(r.line);
          return;
        }
        originalLines.push(r.line);
        pending += `${r.raw}${lineBreak}`;
        if (pending.length >= WRITE_CHARS) await flush();
      };
      // Line by line: a job's rejects can be as large as its input.
      for await (const lines of lineBatches(store.read(part))) for (const l of lines) await take(l);
    }
    await flush();
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
  await store.put(`replay/${jobId}/lines.json`, `${JSON.stringify(originalLines)}\n`);
  return { key, pipeline: replayed, records: originalLines.length, originalLines, skippedLines };
}
