import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  readonly deadLetters: Queue;
  readonly stateMachine: StateMachine;
  readonly work: IFunction;
  readonly alarmEmail?: string;
}

/** Alarms on DLQ depth, failed executions and worker errors to an SNS topic, and a dashboard. */
export class Observability extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[];
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const key = new Key(this, 'AlarmsKey', { enableKeyRotation: true });
    this.topic = new Topic(this, 'Alarms', { masterKey: key, enforceSSL: true });
    // An alarm publishes as CloudWatch: without the topic's policy and the key's, its notifications are dropped.
    const cloudwatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.grantPublish(cloudwatch);
    key.grant(cloudwatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const alarm = (name: string, metric: IMetric) => {
      const a = new Alarm(this, name, { metric, threshold: 1, evaluationPeriods: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: TreatMissingData.NOT_BREACHING });
      a.addAlarmAction(new SnsAction(this.topic));
      return a;
    };
    const rows = (name: string) => new Metric({ namespace: 'Sluice', metricName: name, dimensionsMap: { service: 'sluice' }, statistic: 'Sum', period: Duration.minutes(5) });
    this.alarms = [
      alarm('DeadLetters', props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) })),
      alarm('FailedExecutions', props.stateMachine.metricFailed({ period: Duration.minutes(5) })),
      alarm('WorkerErrors', props.work.metricErrors({ period: Duration.minutes(5) })),
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new GraphWidget({ title: 'Rows', left: [rows('RowsIn'), rows('RowsOut'), rows('RowsRejected')] }),
          new GraphWidget({ title: 'Executions', left: [props.stateMachine.metricStarted(), props.stateMachine.metricSucceeded(), props.stateMachine.metricFailed()] }),
        ],
        [
          new GraphWidget({ title: 'Chunk duration (ms)', left: [rows('ChunkDuration').with({ statistic: 'p90' })] }),
          new GraphWidget({ title: 'Dead letters and worker errors', left: [props.deadLetters.metricApproximateNumberOfMessagesVisible(), props.work.metricErrors()] }),
        ],
      ],
    });
  }
}
