import type { Collect } from '../config/schema.js';

/** One file of a collection, as its report shows it. */
export interface CollectionFile {
  readonly key: string;
  readonly jobId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  /** Its job's HTML report. */
  readonly report: string;
  /** Rows in its results. */
  readonly rowsIn: number;
  /** Its rows in the combined dataset. */
  readonly rowsAdded: number;
  /** Its rows dropped because a row of another place (this file or another) with the same key stayed. */
  readonly duplicatesDropped: number;
  /** Schema columns its header lacks (allowMissing), and columns its rows have that the schema does not name (unknownColumns: keep). */
  readonly missingColumns: readonly string[];
  readonly extraColumns: readonly string[];
  /** The kinds of non-null values of each column whose kinds differ between files. */
  readonly types: Readonly<Record<string, readonly string[]>>;
}

/** report.json of a collection. */
export interface CollectionReport {
  readonly collectionId: string;
  readonly pipeline: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly failure?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly collect: Collect;
  /** Whether every file has the same columns with the same kinds of values; each difference in words. */
  readonly schema: { readonly agreed: boolean; readonly differences: readonly string[] };
  /** Files in key order: the order `first` and `last` follow. */
  readonly files: readonly CollectionFile[];
  /** rowsIn (the files' results) = rowsOut + duplicatesDropped. */
  readonly accounting: { readonly rowsIn: number; readonly rowsOut: number; readonly duplicatesDropped: number; readonly balanced: boolean };
  readonly outputs: { readonly results: number; readonly partitions: number; readonly successKey: string | undefined };
}
