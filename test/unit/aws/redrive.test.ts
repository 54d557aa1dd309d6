import { ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { redriveDeadLetters } from '../../../shared/aws/redrive.js';

const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());
const DLQ = 'arn:aws:sqs:eu-west-1:123456789012:Sluice-DeadLetters';

describe('redriveDeadLetters', () => {
  it('starts a move back to the source queues and waits until SQS says it completed, with the counts', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      // Before the start: an older, finished move, which must not be taken for ours.
      .resolvesOnce({ Results: [{ Status: 'COMPLETED', StartedTimestamp: 100, ApproximateNumberOfMessagesMoved: 99, ApproximateNumberOfMessagesToMove: 99 }] })
      .resolvesOnce({ Results: [{ Status: 'COMPLETED', StartedTimestamp: 100, ApproximateNumberOfMessagesMoved: 99, ApproximateNumberOfMessagesToMove: 99 }] })
      .resolvesOnce({ Results: [{ TaskHandle: 'h1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 7 }] })
      .resolves({ Results: [{ Status: 'COMPLETED', StartedTimestamp: 200, ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 }] });
    const r = await redriveDeadLetters(new SQSClient({ region: 'eu-west-1' }), { source: DLQ, pollMs: 1 });
    expect(r).toEqual({ status: 'COMPLETED', moved: 7, toMove: 7 });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([{ SourceArn: DLQ }]);
    expect(sqs.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(4);
  });

  it('passes a destination and a rate, and reports a failed move with its reason', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h2' });
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ TaskHandle: 'h2', Status: 'FAILED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 4, FailureReason: 'AccessDenied' }] });
    const r = await redriveDeadLetters(new SQSClient({ region: 'eu-west-1' }), { source: DLQ, destination: 'arn:aws:sqs:eu-west-1:123456789012:Sluice-Events', maxPerSecond: 10, pollMs: 1 });
    expect(r).toEqual({ status: 'FAILED', moved: 1, toMove: 4, failureReason: 'AccessDenied' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({ SourceArn: DLQ, DestinationArn: 'arn:aws:sqs:eu-west-1:123456789012:Sluice-Events', MaxNumberOfMessagesPerSecond: 10 });
  });

  it('gives up waiting after its timeout, saying the move goes on', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h3' });
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ TaskHandle: 'h3', Status: 'RUNNING' }] });
    await expect(redriveDeadLetters(new SQSClient({ region: 'eu-west-1' }), { source: DLQ, pollMs: 5, timeoutMs: 20 })).rejects.toThrow(`the move from ${DLQ} is still RUNNING after 0 s (task h3); it goes on in SQS`);
  });
});
