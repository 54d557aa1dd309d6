import { InputError } from '../errors.js';

/** What a store knows about one object. `etag` changes when the content does. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string;
  /** When it was written (ISO time), as a listing gives it. */
  readonly lastModified?: string;
}

/** The version of an object a job planned against. */
export type ObjectVersion = Pick<ObjectInfo, 'etag' | 'versionId'>;

/** An InputError for a read of an object that changed since the job planned it. */
export function changedSincePlanned(key: string, version: ObjectVersion, now: string): InputError {
  return new InputError(key, 0, `changed since the job was planned (etag ${version.etag}, now ${now}); the new upload has its own job`);
}

/** A pending object: it becomes visible under its key only on `commit` (temp + rename, or a completed upload). */
export interface ObjectWriter {
  /** Resolves once the writer no longer needs `chunk`: the caller may then fill its memory again. */
  write(chunk: Uint8Array | string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** The engine's only view of storage: local files or an S3 bucket. */
export interface ObjectStore {
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Bytes of `key`; `end` is exclusive. With `version`, the bytes of that version: S3 reads the
   * version id when the bucket is versioned, otherwise any read of a changed object fails with an
   * InputError (a job must never mix the bytes of two uploads).
   */
  read(key: string, range?: { start: number; end: number }, version?: ObjectVersion): AsyncIterable<Uint8Array>;
  /**
   * Fills `into` with the bytes of `key` from `position`, and says how many there were (fewer at
   * its end). Where a store has it (local files), a reader that reuses its buffers allocates
   * nothing per read; the duplicate check reads gigabytes of key runs this way.
   */
  readInto?(key: string, position: number, into: Uint8Array): Promise<number>;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** Opens lazily: nothing touches storage until the first write or commit. */
  writer(key: string): ObjectWriter;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
}
