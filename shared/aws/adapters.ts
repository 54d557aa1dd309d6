import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { JobSummary } from '../report/summary.js';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, ExecutionStarter, JobSummaries } from '../jobs/ports.js';
import { classifyAwsError } from './s3-object-store.js';

/** StartExecution named after the job: ExecutionAlreadyExists means the job already started, which is success. */
export class SfnExecutionStarter implements ExecutionStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}
  async start(name: string, input: unknown): Promise<'started' | 'exists'> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      return 'started';
    } catch (e) {
      if (e instanceof ExecutionAlreadyExists || (e as Error).name === 'ExecutionAlreadyExists') return 'exists';
      throw classifyAwsError(e, `StartExecution ${name}`);
    }
  }
  async isRunning(name: string): Promise<boolean> {
    // arn:…:stateMachine:<machine> → arn:…:execution:<machine>:<name>
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    try {
      const r = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return r.status === 'RUNNING';
    } catch (e) {
      if ((e as Error).name === 'ExecutionDoesNotExist') return false;
      throw classifyAwsError(e, `DescribeExecution ${name}`);
    }
  }
}

/** Job events on an EventBridge bus, source "sluice". */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName = 'default',
  ) {}
  async publish(detailType: 'JobSucceeded' | 'JobFailed', detail: Record<string, unknown>): Promise<void> {
    const r = await this.client.send(new PutEventsCommand({ Entries: [{ Source: 'sluice', DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: this.busName }] }));
    if (r.FailedEntryCount) throw classifyAwsError(Object.assign(new Error('PutEvents failed'), { $retryable: true }), `PutEvents ${detailType}`);
  }
}

export { SFNClient, EventBridgeClient };

/**
 * Job summaries to an SNS topic (its e-mail subscribers): the subject and the text as
 * `reportSummary` wrote them; the report linked in the S3 console of the bucket.
 */
export class SnsJobSummaries implements JobSummaries {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
    private readonly bucket: string,
    private readonly region: string | undefined,
  ) {}

  reportLink(key: string): string {
    const region = this.region ? `?region=${encodeURIComponent(this.region)}&` : '?';
    return `https://console.aws.amazon.com/s3/object/${encodeURIComponent(this.bucket)}${region}prefix=${encodeURIComponent(key)}`;
  }

  async send(summary: JobSummary): Promise<void> {
    await this.sns.send(new PublishCommand({ TopicArn: this.topicArn, Subject: summary.subject, Message: summary.text }));
  }
}
