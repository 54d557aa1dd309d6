import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule as EventSchedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ScheduleProps {
  readonly sweep: IFunction;
  /** How often the repair sweep runs. */
  readonly sweepEvery?: Duration;
  /** Pipelines with a `schedule` in the config. */
  readonly scheduled: readonly { readonly pipeline: string; readonly cron: string; readonly prefix?: string }[];
}

/**
 * EventBridge rules (not EventBridge Scheduler, which never fires under LocalStack): a periodic
 * sweep, and one rule per scheduled pipeline that sweeps that pipeline's prefix.
 */
export class Schedule extends Construct {
  public readonly sweepRule: Rule;
  public readonly pipelineRules: Rule[];

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    this.sweepRule = new Rule(this, 'Sweep', { schedule: EventSchedule.rate(props.sweepEvery ?? Duration.minutes(15)), targets: [new LambdaFunction(props.sweep, { event: RuleTargetInput.fromObject({}) })] });
    this.pipelineRules = props.scheduled.map(
      (s) =>
        new Rule(this, `Run-${s.pipeline}`, {
          schedule: EventSchedule.expression(s.cron),
          targets: [new LambdaFunction(props.sweep, { event: RuleTargetInput.fromObject({ pipeline: s.pipeline, ...(s.prefix ? { prefix: s.prefix } : {}) }) })],
        }),
    );
  }
}
