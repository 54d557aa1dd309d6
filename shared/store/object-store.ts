/** What a store knows about one object. `etag` changes when the content does. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string;
}

/** A pending object: it becomes visible under its key only on `commit` (temp + rename, or a completed upload). */
export interface ObjectWriter {
  write(chunk: Uint8Array | string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** The engine's only view of storage: local files or an S3 bucket. */
export interface ObjectStore {
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Bytes of `key`; `end` is exclusive. */
  read(key: string, range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** Opens lazily: nothing touches storage until the first write or commit. */
  writer(key: string): ObjectWriter;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
}
