import type { ObjectStore } from '../store/object-store.js';

/** Where a job's objects live; the same prefixes locally (under --out) and in the bucket. */
export const layout = {
  results: (pipeline: string, jobId: string) => `results/${pipeline}/${jobId}/`,
  rejects: (pipeline: string, jobId: string) => `rejects/${pipeline}/${jobId}/`,
  rejectsStaging: (pipeline: string, jobId: string) => `rejects/${pipeline}/${jobId}/_chunks/`,
  reports: (pipeline: string, jobId: string) => `reports/${pipeline}/${jobId}/`,
  manifests: (jobId: string) => `manifests/${jobId}/`,
  /** A collection's results/, report.json and report.html. */
  collection: (pipeline: string, collectionId: string) => `collections/${pipeline}/${collectionId}/`,
  /** Its scatter partitions and sorted runs, while it combines. */
  collectionTemp: (collectionId: string) => `manifests/collections/${collectionId}/`,
  part: (index: number) => `part-${String(index).padStart(5, '0')}`,
  /** A chunk's sorted key hashes for the job's `rules.dataset[rule]` (a `unique` rule). */
  keyRun: (jobId: string, rule: number, index: number) => `manifests/${jobId}/unique/${rule}/part-${String(index).padStart(5, '0')}.bin`,
  /** What the reduce of one hash partition found for that rule; the partition count is in the name, so partitionings never mix. */
  reduced: (jobId: string, rule: number, partition: number, partitions: number) => `manifests/${jobId}/unique/${rule}/reduce-${partition}-of-${partitions}.json`,
} as const;

/** A finalized job's rejects parts (not the chunks' staged ones), in part order, with their sizes. */
export async function rejectParts(store: ObjectStore, pipeline: string, jobId: string): Promise<{ key: string; size: number }[]> {
  const staging = layout.rejectsStaging(pipeline, jobId);
  const parts: { key: string; size: number }[] = [];
  for await (const o of store.list(layout.rejects(pipeline, jobId))) if (!o.key.startsWith(staging) && /part-\d+\.jsonl$/.test(o.key)) parts.push({ key: o.key, size: o.size });
  return parts.sort((a, b) => (a.key < b.key ? -1 : 1));
}
