import type { Pipeline } from '../config/schema.js';
import { layout } from '../process/layout.js';
import { countDuplicates, partitionOfRun, reducePartitions, type SortedRun } from '../rules/unique.js';
import type { ObjectStore } from '../store/object-store.js';

/** What the reduce of one hash partition found for one `unique` rule. */
export interface ReducedPartition {
  /** The rule's index in `rules.dataset`. */
  readonly rule: number;
  readonly partition: number;
  readonly partitions: number;
  readonly keys: number;
  readonly duplicates: number;
}

/** The job a reduce works on: its id, its chunk count and its input's size (which sets the partitions; see `reducePartitions`). */
export interface JobScope {
  readonly jobId: string;
  readonly chunks: number;
  readonly inputBytes: number;
}

/** Key runs whose header a reduce reads at once: one after the other, 16,000 chunks would take 16,000 round trips. */
const HEADER_READS = 32;

/** The indexes in `rules.dataset` of a pipeline's `unique` rules. */
export function uniqueRules(pipeline: Pipeline): number[] {
  return pipeline.rules.dataset.flatMap((r, i) => (r.type === 'unique' ? [i] : []));
}

/**
 * The reduce of one hash partition: for each `unique` rule, that partition's stretch of every
 * chunk's key run, merged and counted, the result stored for finalize. Reads one header and one
 * stretch per chunk, whatever the file size. Safe to run twice: the same runs give the same result.
 */
export async function reducePartition(pipeline: Pipeline, job: JobScope, partition: number, store: ObjectStore, options: { keep?: boolean; windowsBudget?: number } = {}): Promise<ReducedPartition[]> {
  const { jobId, chunks } = job;
  const partitions = reducePartitions(job.inputBytes);
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) throw new RangeError(`no reduce partition ${partition} in a job of ${job.inputBytes} bytes (${partitions} partition(s))`);
  const out: ReducedPartition[] = [];
  for (const rule of uniqueRules(pipeline)) {
    const runs: SortedRun[] = [];
    for (let i = 0; i < chunks; i += HEADER_READS) {
      const indexes = Array.from({ length: Math.min(HEADER_READS, chunks - i) }, (_, k) => i + k);
      const stretches = await Promise.all(
        indexes.map((index) => {
          const key = layout.keyRun(jobId, rule, index);
          const run = { read: (start: number, end: number) => store.read(key, { start, end }), ...(store.readInto ? { readInto: (position: number, into: Uint8Array) => store.readInto!(key, position, into) } : {}) };
          return partitionOfRun(run, partition, partitions, key);
        }),
      );
      runs.push(...stretches.filter((r) => r.size > 0));
    }
    const result: ReducedPartition = { rule, partition, partitions, keys: runs.reduce((n, r) => n + r.size / 8, 0), duplicates: await countDuplicates(runs, options.windowsBudget) };
    if (options.keep !== false) await store.put(layout.reduced(jobId, rule, partition, partitions), `${JSON.stringify(result)}\n`);
    out.push(result);
  }
  return out;
}

/** Partition results finalize reads at once. */
const RESULT_READS = 32;

/**
 * Duplicate keys of one `unique` rule over the whole job: the sum of its partitions' reduces. A
 * partition not reduced yet (a caller that ran no reduce stage) is reduced here, and not stored:
 * finalize only reads under manifests/.
 */
export async function uniqueDuplicates(pipeline: Pipeline, job: JobScope, rule: number, store: ObjectStore): Promise<{ duplicates: number; keys: number; partitions: number }> {
  const partitions = reducePartitions(job.inputBytes);
  let duplicates = 0;
  let keys = 0;
  for (let p = 0; p < partitions; p += RESULT_READS) {
    const batch = Array.from({ length: Math.min(RESULT_READS, partitions - p) }, (_, k) => p + k);
    const bodies = await Promise.all(batch.map((partition) => store.get(layout.reduced(job.jobId, rule, partition, partitions))));
    for (const [k, body] of bodies.entries()) {
      // One missing partition at a time: each merge holds windows for every chunk's run.
      const r = body ? (JSON.parse(body.toString('utf8')) as ReducedPartition) : (await reducePartition(pipeline, job, batch[k]!, store, { keep: false })).find((x) => x.rule === rule)!;
      duplicates += r.duplicates;
      keys += r.keys;
    }
  }
  return { duplicates, keys, partitions };
}
