import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule as EventSchedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ScheduleProps {
  readonly sweep: IFunction;
  /** How often the repair sweep runs. */
  readonly sweepEvery?: Duration;
  /** Pipelines with a `schedule` in the config; `collect`: the rule also runs the collect λ on the prefix. */
  readonly scheduled: readonly { readonly pipeline: string; readonly cron: string; readonly prefix?: string; readonly collect?: boolean }[];
  /** The collect λ, when a scheduled pipeline has `collect`. */
  readonly collect?: IFunction;
}

/**
 * EventBridge rules (not EventBridge Scheduler, which never fires under LocalStack): a periodic
 * sweep, and one rule per scheduled pipeline that sweeps that pipeline's prefix (and, with
 * `collect`, combines its files once their jobs have finished: a run that finds jobs still
 * going changes nothing, and the next one combines).
 */
export class Schedule extends Construct {
  public readonly sweepRule: Rule;
  public readonly pipelineRules: Rule[];

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    this.sweepRule = new Rule(this, 'Sweep', { schedule: EventSchedule.rate(props.sweepEvery ?? Duration.minutes(15)), targets: [new LambdaFunction(props.sweep, { event: RuleTargetInput.fromObject({}) })] });
    this.pipelineRules = props.scheduled.map((s) => {
      const event = RuleTargetInput.fromObject({ pipeline: s.pipeline, ...(s.prefix ? { prefix: s.prefix } : {}) });
      const targets = [new LambdaFunction(props.sweep, { event })];
      if (s.collect && props.collect) targets.push(new LambdaFunction(props.collect, { event }));
      return new Rule(this, `Run-${s.pipeline}`, { schedule: EventSchedule.expression(s.cron), targets });
    });
  }
}
