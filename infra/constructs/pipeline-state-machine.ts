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
  ItemBatcher,
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
  readonly reduce: IFunction;
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
 * Throttles and capacity pass with time, whatever the data retry policy says (even
 * maxAttempts: 1): their own retrier, with more attempts and longer waits.
 */
const SERVICE_RETRY = {
  // Long enough to outwait a chunk of another job holding the reserved concurrency (up to 15 minutes).
  lambda: { interval: Duration.seconds(2), maxAttempts: 12, maxDelay: Duration.minutes(5) },
  ecs: { interval: Duration.seconds(10), maxAttempts: 8, maxDelay: Duration.minutes(10) },
} as const;

/**
 * Plan λ → (a quoted file of several scan windows: Distributed Map of Plan λs over manifests/<jobId>/scan/windows.json
 * → Plan λ again, resolving the scans) → Distributed Map over manifests/<jobId>/chunks.json, in batches → Choice (work λ | Fargate RunTask .sync)
 * → when the pipeline has `unique` rules, a Distributed Map over manifests/<jobId>/reduce.json (a reduce λ per
 * hash partition) → Finalize λ, with a catch-all to the Fail λ. Standard type, logs ALL, X-Ray on.
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
    const service = (errors: string[], s: (typeof SERVICE_RETRY)[keyof typeof SERVICE_RETRY]): RetryProps => ({ errors, interval: s.interval, maxAttempts: s.maxAttempts, backoffRate: 2, maxDelay: s.maxDelay, jitterStrategy: JitterType.FULL });
    const invoke = (name: string, fn: IFunction, resultPath: string, extraRetry: string[] = [], outputPath?: string) => {
      const task = new LambdaInvoke(this, name, { lambdaFunction: fn, payloadResponseOnly: true, resultPath, retryOnServiceExceptions: false, ...(outputPath !== undefined ? { outputPath } : {}) });
      task.addRetry(backoff([SluiceErrors.transient, ...extraRetry]));
      task.addRetry(service(LAMBDA_THROTTLES, SERVICE_RETRY.lambda));
      return task;
    };

    const recordFailure = new LambdaInvoke(this, 'RecordFailure', {
      lambdaFunction: props.fail,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId'), pipeline: JsonPath.stringAt('$.pipeline'), error: JsonPath.objectAt('$.error') }),
      resultPath: '$.failure',
      retryOnServiceExceptions: false,
    });
    recordFailure.addRetry(service(LAMBDA_THROTTLES, SERVICE_RETRY.lambda));
    const fail = recordFailure.next(new Fail(this, 'JobFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));

    const plan = invoke('Plan', props.plan, '$.plan');
    // A chunk's output is {}: the Map gathers every child's output, and 256 KiB of them would fail the job.
    const work = invoke('Work', props.work, JsonPath.DISCARD, TIMEOUTS, JsonPath.DISCARD);
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
        outputPath: JsonPath.DISCARD,
        taskTimeout: Timeout.duration(Duration.hours(2)),
      });
      // The container retries its own transient errors (it ends with only an exit code); here only capacity and timeouts.
      ecs.addRetry(backoff(['States.Timeout']));
      ecs.addRetry(service(ECS_CAPACITY, SERVICE_RETRY.ecs));
      route.when(Condition.stringEquals('$.Items[0].compute', 'fargate'), ecs);
    }
    route.otherwise(work);

    const map = new DistributedMap(this, 'Chunks', {
      itemReader: new S3JsonItemReader({ bucket: props.bucket, key: JsonPath.stringAt('$.plan.manifestKey') }),
      // Small chunks go several to a work invocation ({Items: [...]}), as many as the plan says; Fargate's one.
      itemBatcher: new ItemBatcher({ maxItemsPerBatchPath: JsonPath.stringAt('$.plan.batch') }),
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: props.toleratedFailurePercentage,
      resultPath: JsonPath.DISCARD,
    });
    map.itemProcessor(route);

    // The second parallel stage: each hash partition of the unique keys checked by a reduce λ of its own, so
    // finalize only sums their results, whatever the file size.
    const reduce = new DistributedMap(this, 'Reduce', {
      itemReader: new S3JsonItemReader({ bucket: props.bucket, key: JsonPath.stringAt('$.plan.reduceKey') }),
      maxConcurrency: props.maxConcurrency,
      resultPath: JsonPath.DISCARD,
    });
    reduce.itemProcessor(invoke('ReducePartition', props.reduce, JsonPath.DISCARD, TIMEOUTS, JsonPath.DISCARD));

    // A quoted file of several scan windows: each window scanned by a Plan λ of its own (outputs
    // discarded, the scans go to S3), then the Plan λ again to resolve them into the chunks.
    const scanWindows = new DistributedMap(this, 'ScanWindows', {
      itemReader: new S3JsonItemReader({ bucket: props.bucket, key: JsonPath.stringAt('$.plan.scanKey') }),
      maxConcurrency: props.maxConcurrency,
      resultPath: JsonPath.DISCARD,
    });
    scanWindows.itemProcessor(invoke('ScanWindow', props.plan, JsonPath.DISCARD, TIMEOUTS, JsonPath.DISCARD));
    const planFromScans = new LambdaInvoke(this, 'PlanFromScans', {
      lambdaFunction: props.plan,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId'), pipeline: JsonPath.stringAt('$.pipeline'), key: JsonPath.stringAt('$.key'), scanned: true }),
      resultPath: '$.plan',
      retryOnServiceExceptions: false,
    });
    planFromScans.addRetry(backoff([SluiceErrors.transient]));
    planFromScans.addRetry(service(LAMBDA_THROTTLES, SERVICE_RETRY.lambda));
    const scanFirst = new Choice(this, 'NeedsBoundaryScan')
      .when(Condition.isPresent('$.plan.scanKey'), scanWindows.next(planFromScans).next(map))
      .otherwise(map);

    const finalize = invoke('Finalize', props.finalize, '$.result');
    finalize.next(new Succeed(this, 'Done'));
    for (const step of [plan, scanWindows, planFromScans, map, reduce, finalize]) step.addCatch(fail, { errors: [Errors.ALL], resultPath: '$.error' });
    const reduceIfUnique = new Choice(this, 'HasUniqueRules')
      // isPresent first: a plan output without the field (a λ older than this definition) must not fail the Choice, which no catch covers.
      .when(Condition.and(Condition.isPresent('$.plan.reducePartitions'), Condition.numberGreaterThan('$.plan.reducePartitions', 0)), reduce.next(finalize))
      .otherwise(finalize);

    map.next(reduceIfUnique);

    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(plan.next(scanFirst)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      timeout: Duration.hours(24),
    });
  }
}
