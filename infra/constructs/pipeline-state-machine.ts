import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Errors,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  S3JsonItemReader,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  IntegrationPattern,
  Timeout,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { EcsFargateLaunchTarget, EcsRunTask, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { FargateWorker } from './fargate-worker.js';

export interface PipelineStateMachineProps {
  readonly bucket: IBucket;
  readonly plan: IFunction;
  readonly work: IFunction;
  readonly finalize: IFunction;
  readonly fail: IFunction;
  /** Absent: every chunk runs on the work λ (the LocalStack fallback). */
  readonly fargate?: FargateWorker;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly retry: { readonly maxAttempts: number; readonly baseDelay: Duration; readonly maxDelay: Duration };
  readonly removalPolicy: RemovalPolicy;
}

/** The error names our handlers raise (see functions/runtime.ts). Only the transient one is retried. */
export const SluiceErrors = { transient: 'Sluice.TransientError' } as const;

const LAMBDA_THROTTLES = ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];
/**
 * A timed-out worker is retried like a transient error (the chunk checkpoint makes the retry safe).
 * Step Functions may report a Lambda timeout, or running out of memory, as Lambda.Unknown.
 */
const TIMEOUTS = ['Sandbox.Timedout', 'States.Timeout', 'Lambda.Unknown'];
const ECS_CAPACITY = ['ECS.AmazonECSException', 'ECS.ServerException', 'ECS.ThrottlingException', 'ECS.LimitExceededException'];

/**
 * Plan λ → Distributed Map over manifests/<jobId>/chunks.json → Choice (work λ | Fargate RunTask .sync)
 * → Finalize λ, with a catch-all to the Fail λ. Standard type, logs ALL, X-Ray on.
 */
export class PipelineStateMachine extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const backoff = (errors: string[]): RetryProps => ({
      errors,
      interval: props.retry.baseDelay,
      // The config counts attempts in all; Step Functions counts retries after the first.
      maxAttempts: props.retry.maxAttempts - 1,
      backoffRate: 2,
      maxDelay: props.retry.maxDelay,
      jitterStrategy: JitterType.FULL,
    });
    const invoke = (name: string, fn: IFunction, resultPath: string, extraRetry: string[] = []) => {
      const task = new LambdaInvoke(this, name, { lambdaFunction: fn, payloadResponseOnly: true, resultPath, retryOnServiceExceptions: false });
      task.addRetry(backoff([SluiceErrors.transient, ...LAMBDA_THROTTLES, ...extraRetry]));
      return task;
    };

    const recordFailure = new LambdaInvoke(this, 'RecordFailure', {
      lambdaFunction: props.fail,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId'), pipeline: JsonPath.stringAt('$.pipeline'), error: JsonPath.objectAt('$.error') }),
      resultPath: '$.failure',
      retryOnServiceExceptions: false,
    });
    recordFailure.addRetry(backoff([...LAMBDA_THROTTLES]));
    const fail = recordFailure.next(new Fail(this, 'JobFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));

    const plan = invoke('Plan', props.plan, '$.plan');
    const work = invoke('Work', props.work, JsonPath.DISCARD, TIMEOUTS);
    const route = new Choice(this, 'Compute');
    if (props.fargate) {
      const ecs = new EcsRunTask(this, 'WorkOnFargate', {
        cluster: props.fargate.cluster,
        taskDefinition: props.fargate.taskDefinition,
        launchTarget: new EcsFargateLaunchTarget(),
        assignPublicIp: true,
        subnets: { subnets: props.fargate.vpc.publicSubnets },
        securityGroups: [props.fargate.securityGroup],
        integrationPattern: IntegrationPattern.RUN_JOB,
        containerOverrides: [{ containerDefinition: props.fargate.container, environment: [{ name: 'CHUNK_TASK', value: JsonPath.jsonToString(JsonPath.objectAt('$')) }] }],
        resultPath: JsonPath.DISCARD,
        taskTimeout: Timeout.duration(Duration.hours(2)),
      });
      // The container retries its own transient errors (it ends with only an exit code); here only capacity and timeouts.
      ecs.addRetry(backoff([...ECS_CAPACITY, 'States.Timeout']));
      route.when(Condition.stringEquals('$.compute', 'fargate'), ecs);
    }
    route.otherwise(work);

    const map = new DistributedMap(this, 'Chunks', {
      itemReader: new S3JsonItemReader({ bucket: props.bucket, key: JsonPath.stringAt('$.plan.manifestKey') }),
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: props.toleratedFailurePercentage,
      resultPath: JsonPath.DISCARD,
    });
    map.itemProcessor(route);

    const finalize = invoke('Finalize', props.finalize, '$.result');
    for (const step of [plan, map, finalize]) step.addCatch(fail, { errors: [Errors.ALL], resultPath: '$.error' });

    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(plan.next(map).next(finalize).next(new Succeed(this, 'Done'))),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      timeout: Duration.hours(24),
    });
  }
}
