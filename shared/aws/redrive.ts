import { ListMessageMoveTasksCommand, StartMessageMoveTaskCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedriveOptions {
  /** The dead-letter queue's ARN. */
  readonly source: string;
  /** Where the messages go; by default, back to the queues they came from. */
  readonly destination?: string;
  /** Messages moved per second at most (SQS's own default when undefined). */
  readonly maxPerSecond?: number;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

export interface RedriveResult {
  readonly status: string;
  readonly moved: number;
  readonly toMove: number;
  readonly failureReason?: string;
}

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * Moves dead-lettered messages back (SQS StartMessageMoveTask) and waits for the move to end.
 * Run on request, once a fix is deployed: dispatch is idempotent, so an S3 event that already
 * made a job makes no second one.
 */
export async function redriveDeadLetters(sqs: SQSClient, o: RedriveOptions): Promise<RedriveResult> {
  // SQS names a task's handle only while it runs: the move that was newest before ours tells ours apart.
  const before = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: o.source, MaxResults: 1 }))).Results?.[0]?.StartedTimestamp;
  const started = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: o.source,
      ...(o.destination ? { DestinationArn: o.destination } : {}),
      ...(o.maxPerSecond ? { MaxNumberOfMessagesPerSecond: o.maxPerSecond } : {}),
    }),
  );
  const deadline = Date.now() + (o.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: o.source, MaxResults: 10 }));
    const newest = Results?.[0];
    const task = Results?.find((t) => t.TaskHandle === started.TaskHandle) ?? (newest && newest.StartedTimestamp !== before ? newest : undefined);
    if (task?.Status && FINISHED.has(task.Status)) {
      return { status: task.Status, moved: task.ApproximateNumberOfMessagesMoved ?? 0, toMove: task.ApproximateNumberOfMessagesToMove ?? 0, ...(task.FailureReason ? { failureReason: task.FailureReason } : {}) };
    }
    if (Date.now() > deadline) throw new Error(`the move from ${o.source} is still ${task?.Status ?? 'unknown'} after ${Math.round((o.timeoutMs ?? 15 * 60_000) / 1000)} s (task ${started.TaskHandle}); it goes on in SQS`);
    await sleep(o.pollMs ?? 2000);
  }
}
