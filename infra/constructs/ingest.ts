import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface IngestProps {
  readonly bucket: Bucket;
  /** The dispatch function; Ingest wires the queue to it. */
  readonly dispatch: IFunction;
  /** Receives before a message moves to the DLQ. */
  readonly maxReceiveCount?: number;
}

/**
 * S3 ObjectCreated under incoming/ → SQS (encrypted, DLQ) → dispatch λ with partial batch failures.
 * The notification is set on the CfnBucket directly: CDK's notification custom resource has
 * failed under cdklocal, and a plain property works the same on AWS.
 */
export class Ingest extends Construct {
  public readonly queue: Queue;
  public readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.queue = new Queue(this, 'Events', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the dispatch timeout, as Lambda's SQS guidance asks.
      visibilityTimeout: Duration.minutes(6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
    // SourceAccount, not SourceArn: the ARN would make the bucket and this policy depend on each other.
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const cfnBucket = props.bucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: [
        { event: 's3:ObjectCreated:*', queue: this.queue.queueArn, filter: { s3Key: { rules: [{ name: 'prefix', value: 'incoming/' }] } } },
      ],
    };
    const policy = this.queue.node.tryFindChild('Policy');
    if (policy) cfnBucket.node.addDependency(policy);
    props.dispatch.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxBatchingWindow: Duration.seconds(1) }));
  }
}
