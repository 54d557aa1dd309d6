import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ChunkResult } from '../process/chunk.js';
import type { ObjectStore } from '../store/object-store.js';
import type { ChunkRecord, HistoryEntry, JobRecord, JobStatus, StateStore } from '../state/models.js';
import { classifyAwsError } from './s3-object-store.js';

/** Chunk items expire after this many days; the JOB item and the S3 outputs stay. */
export const CHUNK_TTL_DAYS = 30;
const CHUNK_TTL_SECONDS = CHUNK_TTL_DAYS * 86_400;

/** The table's index on (status, updatedAt), which only job items carry. */
export const STATUS_INDEX = 'byStatus';

export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'META' });
export const chunkKey = (jobId: string, index: number) => ({ pk: `JOB#${jobId}`, sk: `CHUNK#${String(index).padStart(6, '0')}` });

/**
 * Jobs and chunks in one DynamoDB table (pk = JOB#id, sk = META | CHUNK#000042; GSI on status).
 * A chunk's full result (stats with sketches) can exceed what an item should hold, so it goes to
 * S3 under manifests/ and the item keeps its key.
 */
export class DynamoStateStore implements StateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
    private readonly objects: ObjectStore,
  ) {}

  private async send<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw classifyAwsError(e, `dynamodb ${this.table} ${what}`);
    }
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const r = await this.send('get job', () => this.doc.send(new GetCommand({ TableName: this.table, Key: jobKey(jobId), ConsistentRead: true })));
    return r.Item ? (r.Item.job as JobRecord) : undefined;
  }

  async createJob(job: JobRecord): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: this.jobItem(job), ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return false;
      throw classifyAwsError(e, `dynamodb ${this.table} create job`);
    }
  }

  async putJob(job: JobRecord): Promise<void> {
    await this.send('put job', () => this.doc.send(new PutCommand({ TableName: this.table, Item: this.jobItem(job) })));
  }

  async touchJob(jobId: string, at: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(jobId),
          UpdateExpression: 'SET updatedAt = :at, #job.updatedAt = :at',
          // Only a running job: a finished or failed one keeps the time it ended.
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#job': 'job', '#status': 'status' },
          ExpressionAttributeValues: { ':at': at, ':running': 'RUNNING' },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return;
      throw classifyAwsError(e, `dynamodb ${this.table} touch job`);
    }
  }

  private jobItem(job: JobRecord) {
    return { ...jobKey(job.jobId), status: job.status, updatedAt: job.updatedAt, pipeline: job.pipeline, inputKey: job.input.key, job };
  }

  async getChunk(jobId: string, index: number): Promise<ChunkRecord | undefined> {
    const r = await this.send('get chunk', () => this.doc.send(new GetCommand({ TableName: this.table, Key: chunkKey(jobId, index), ConsistentRead: true })));
    return r.Item ? this.fromItem(r.Item) : undefined;
  }

  async putChunk(chunk: ChunkRecord): Promise<void> {
    const { result, ...rest } = chunk;
    let resultKey: string | undefined;
    if (result) {
      resultKey = `manifests/${chunk.jobId}/chunks/${String(chunk.index).padStart(6, '0')}.json`;
      await this.objects.put(resultKey, JSON.stringify(result));
    }
    const item = {
      ...chunkKey(chunk.jobId, chunk.index),
      ...rest,
      ...(resultKey ? { resultKey, rowsIn: result!.stats.rowsIn, rowsOut: result!.stats.rowsOut, rowsRejected: result!.stats.rowsRejected } : {}),
      expiresAt: Math.floor(Date.now() / 1000) + CHUNK_TTL_SECONDS,
    };
    if (chunk.status !== 'FAILED') {
      await this.send('put chunk', () => this.doc.send(new PutCommand({ TableName: this.table, Item: item })));
      return;
    }
    // A failure never replaces a result another execution of the same chunk (same fingerprint) has written.
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(#status) OR #status <> :done OR fingerprint <> :fp', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':done': 'DONE', ':fp': chunk.fingerprint } }));
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return;
      throw classifyAwsError(e, `dynamodb ${this.table} put chunk`);
    }
  }

  private async fromItem(item: Record<string, unknown>, withResult = true): Promise<ChunkRecord> {
    const { pk: _pk, sk: _sk, resultKey, expiresAt: _e, rowsIn: _i, rowsOut: _o, rowsRejected: _r, ...rest } = item;
    const body = withResult && typeof resultKey === 'string' ? await this.objects.get(resultKey) : undefined;
    return { ...(rest as unknown as ChunkRecord), ...(body ? { result: JSON.parse(body.toString('utf8')) as ChunkResult } : {}) };
  }

  /** Every item a query matches, page after page. */
  private async *query(what: string, input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): AsyncIterable<Record<string, unknown>> {
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.send(what, () => this.doc.send(new QueryCommand({ ...input, TableName: this.table, ExclusiveStartKey: start })));
      yield* r.Items ?? [];
      start = r.LastEvaluatedKey;
    } while (start);
  }

  async listChunks(jobId: string, options: { results?: boolean } = {}): Promise<ChunkRecord[]> {
    const out: ChunkRecord[] = [];
    const items = this.query('list chunks', { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)', ExpressionAttributeValues: { ':pk': `JOB#${jobId}`, ':chunk': 'CHUNK#' }, ConsistentRead: true });
    for await (const item of items) out.push(await this.fromItem(item, options.results !== false));
    return out;
  }

  async *jobsWithStatus(status: JobStatus, options: { readonly updatedBefore?: string } = {}): AsyncIterable<JobRecord> {
    const before = options.updatedBefore;
    const items = this.query('query jobs by status', {
      IndexName: STATUS_INDEX,
      KeyConditionExpression: before === undefined ? '#status = :s' : '#status = :s AND updatedAt < :before',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':s': status, ...(before === undefined ? {} : { ':before': before }) },
    });
    // Chunk items have no updatedAt, so the index holds job items only; the check costs nothing.
    for await (const item of items) if (item.sk === 'META' && item.job) yield item.job as JobRecord;
  }

  async clearChunks(jobId: string): Promise<void> {
    const chunks = await this.listChunks(jobId);
    for (let i = 0; i < chunks.length; i += 25) {
      const batch = chunks.slice(i, i + 25).map((c) => ({ DeleteRequest: { Key: chunkKey(jobId, c.index) } }));
      await this.send('clear chunks', () => this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: batch } })));
    }
  }

  /**
   * One item per job under `HISTORY#<pipeline>`, sorted by the job's creation: finalized again, a
   * job replaces its item. The entry sits under `entry` only, never a top-level `status`, so the
   * status index (which the sweep queries) holds no history.
   */
  async appendHistory(entry: HistoryEntry): Promise<void> {
    await this.send('append history', () => this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: `HISTORY#${entry.pipeline}`, sk: `${entry.createdAt}#${entry.jobId}`, entry } })));
  }

  async history(pipeline: string, options: { readonly last?: number; readonly succeeded?: boolean } = {}): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    // Newest first, page by page, so `last` reads little more than it returns; then turned oldest first.
    const items = this.query('read history', { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `HISTORY#${pipeline}` }, ScanIndexForward: false, ...(options.last !== undefined ? { Limit: Math.max(options.last, 25) } : {}) });
    for await (const item of items) {
      const entry = item.entry as HistoryEntry;
      if (options.succeeded && entry.status !== 'SUCCEEDED') continue;
      out.push(entry);
      if (options.last !== undefined && out.length >= options.last) break;
    }
    return out.reverse();
  }
}
