import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChunkRecord, HistoryEntry, JobRecord, JobStatus, StateStore } from '../state/models.js';

/** Called when a checkpoint file is unreadable and has been set aside. */
export type CorruptionListener = (file: string, movedTo: string, reason: string) => void;

/**
 * Job and chunk checkpoints as JSON files, each written to a temp file and renamed into place,
 * so a kill at any moment leaves either the old file or the new one. A file that still fails
 * to parse (disk fault, manual edit) is moved aside and treated as absent: the chunk runs again.
 */
export class FileStateStore implements StateStore {
  constructor(
    readonly root: string,
    private readonly onCorrupt: CorruptionListener = () => undefined,
  ) {}

  private jobDir(jobId: string) {
    return join(this.root, jobId);
  }
  private chunkFile(jobId: string, index: number) {
    return join(this.jobDir(jobId), `chunk-${String(index).padStart(6, '0')}.json`);
  }

  private async write(file: string, value: unknown): Promise<void> {
    await mkdir(join(file, '..'), { recursive: true });
    const temp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, file);
  }

  private async read<T>(file: string, valid: (v: unknown) => boolean): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const value: unknown = JSON.parse(text);
      if (valid(value)) return value as T;
      throw new Error('unexpected shape');
    } catch (e) {
      const aside = `${file}.corrupt-${Date.now()}`;
      await rename(file, aside);
      this.onCorrupt(file, aside, (e as Error).message);
      return undefined;
    }
  }

  getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.read<JobRecord>(join(this.jobDir(jobId), 'job.json'), (v) => typeof (v as JobRecord | null)?.jobId === 'string');
  }

  async createJob(job: JobRecord): Promise<boolean> {
    if (await this.getJob(job.jobId)) return false;
    await this.putJob(job);
    return true;
  }

  putJob(job: JobRecord): Promise<void> {
    return this.write(join(this.jobDir(job.jobId), 'job.json'), job);
  }

  async touchJob(jobId: string, at: string): Promise<void> {
    const job = await this.getJob(jobId);
    if (job?.status === 'RUNNING') await this.putJob({ ...job, updatedAt: at });
  }

  getChunk(jobId: string, index: number): Promise<ChunkRecord | undefined> {
    return this.read<ChunkRecord>(this.chunkFile(jobId, index), (v) => {
      const c = v as ChunkRecord | null;
      return c?.jobId === jobId && c.index === index && typeof c.fingerprint === 'string';
    });
  }

  async putChunk(chunk: ChunkRecord): Promise<void> {
    // A failure never replaces a finished result of the same chunk (same fingerprint).
    if (chunk.status === 'FAILED') {
      const done = await this.getChunk(chunk.jobId, chunk.index);
      if (done?.status === 'DONE' && done.fingerprint === chunk.fingerprint) return;
    }
    await this.write(this.chunkFile(chunk.jobId, chunk.index), chunk);
  }

  async listChunks(jobId: string, options: { results?: boolean } = {}): Promise<ChunkRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.jobDir(jobId));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ChunkRecord[] = [];
    for (const n of names.filter((n) => /^chunk-\d{6}\.json$/.test(n)).sort()) {
      const c = await this.getChunk(jobId, Number(n.slice(6, 12)));
      if (!c) continue;
      if (options.results === false) {
        const { result: _result, ...rest } = c;
        out.push(rest);
      } else out.push(c);
    }
    return out;
  }

  async *jobsWithStatus(status: JobStatus, options: { readonly updatedBefore?: string } = {}): AsyncIterable<JobRecord> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    for (const id of entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      const job = await this.getJob(id);
      if (job?.status === status && (options.updatedBefore === undefined || job.updatedAt < options.updatedBefore)) yield job;
    }
  }

  async clearChunks(jobId: string): Promise<void> {
    const names = await readdir(this.jobDir(jobId)).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith('chunk-')).map((n) => rm(join(this.jobDir(jobId), n), { force: true })));
  }

  /** JSON lines under `<root>/history/`, appended (never rewritten): a job finalized again is a later line, and the last line of a job counts. */
  private historyFile(pipeline: string) {
    return join(this.root, 'history', `${pipeline}.jsonl`);
  }

  async appendHistory(entry: HistoryEntry): Promise<void> {
    await mkdir(join(this.root, 'history'), { recursive: true });
    await appendFile(this.historyFile(entry.pipeline), `${JSON.stringify(entry)}\n`);
  }

  async history(pipeline: string, options: { readonly last?: number; readonly succeeded?: boolean } = {}): Promise<HistoryEntry[]> {
    const text = await readFile(this.historyFile(pipeline), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    const byJob = new Map<string, HistoryEntry>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      let entry: HistoryEntry;
      try {
        entry = JSON.parse(line) as HistoryEntry;
      } catch {
        // A line cut short by a crash mid-append: the entries before it stand.
        continue;
      }
      if (typeof entry?.jobId === 'string') byJob.set(entry.jobId, entry);
    }
    const all = [...byJob.values()].filter((e) => !options.succeeded || e.status === 'SUCCEEDED').sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.jobId < b.jobId ? -1 : 1));
    return options.last === undefined ? all : all.slice(Math.max(0, all.length - options.last));
  }
}
