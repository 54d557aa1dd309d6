/** Where a job's objects live; the same prefixes locally (under --out) and in the bucket. */
export const layout = {
  results: (pipeline: string, jobId: string) => `results/${pipeline}/${jobId}/`,
  rejects: (pipeline: string, jobId: string) => `rejects/${pipeline}/${jobId}/`,
  rejectsStaging: (pipeline: string, jobId: string) => `rejects/${pipeline}/${jobId}/_chunks/`,
  reports: (pipeline: string, jobId: string) => `reports/${pipeline}/${jobId}/`,
  manifests: (jobId: string) => `manifests/${jobId}/`,
  part: (index: number) => `part-${String(index).padStart(5, '0')}`,
} as const;
