import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Config } from '../shared/config/schema.js';
import { INCOMING_PREFIX } from '../shared/jobs/ports.js';
import { FargateWorker } from './constructs/fargate-worker.js';
import { SluiceFunction } from './constructs/functions.js';
import { Ingest } from './constructs/ingest.js';
import { Observability } from './constructs/observability.js';
import { Api } from './constructs/api.js';
import { PipelineStateMachine } from './constructs/pipeline-state-machine.js';
import { Schedule } from './constructs/schedule.js';
import { Storage } from './constructs/storage.js';
import { acknowledgeNagFindings } from './nag.js';

export interface SluiceStackProps extends StackProps {
  /** The validated sluice.config. */
  readonly config: Config;
  readonly alarmEmail?: string;
  /** Where a summary of every finished job is e-mailed (an SNS topic that finalize and fail publish to); unset, none. */
  readonly summaryEmail?: string;
  /** retain (default) keeps the bucket and table when the stack is deleted. */
  readonly removal: 'retain' | 'destroy';
  /** Memory of the work λ in MB. */
  readonly workerMemoryMb: number;
  /** Off for LocalStack (no ECS there): fargate chunks then run on the work λ. */
  readonly fargate: boolean;
  /** Chunks one job runs at once (the Distributed Map's MaxConcurrency); 50 by default. */
  readonly maxConcurrency?: number;
  /**
   * Work λ executions reserved for Sluice, which also caps them across every job at once; 0
   * reserves none (an account whose whole limit is 10 cannot reserve any). The default is maxConcurrency.
   */
  readonly workerConcurrency?: number;
  readonly toleratedFailurePercentage?: number;
  /** Days a file stays under incoming/ once written; unset keeps them. See Storage. */
  readonly incomingDays?: number;
}

/** The whole pipeline: the stack only composes constructs. */
export class SluiceStack extends Stack {
  public readonly storage: Storage;
  public readonly ingest: Ingest;
  public readonly pipeline: PipelineStateMachine;
  public readonly fargateWorker?: FargateWorker;
  public readonly observability: Observability;
  public readonly schedule: Schedule;
  public readonly api: Api;
  /** The job summaries' topic, when summaryEmail is given. */
  public readonly summaries?: Topic;

  constructor(scope: Construct, id: string, props: SluiceStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.storage = new Storage(this, 'Storage', { removalPolicy, ...(props.incomingDays !== undefined ? { incomingDays: props.incomingDays } : {}) });
    const { bucket, table } = this.storage;
    const configJson = JSON.stringify(props.config);
    const environment = { BUCKET: bucket.bucketName, TABLE_NAME: table.tableName, EVENT_BUS: 'default' };
    const fn = (name: string, entry: string, extra: Partial<{ memorySize: number; timeout: Duration; reservedConcurrentExecutions: number; environment: Record<string, string> }> = {}) =>
      new SluiceFunction(this, name, { entry, configJson, removalPolicy, ...extra, environment: { ...environment, ...extra.environment } });

    const plan = fn('Plan', 'plan', { timeout: Duration.minutes(5) });
    const workTimeout = Math.ceil(Math.max(...props.config.pipelines.map((p) => p.compute.timeoutSeconds)));
    const reserved = props.workerConcurrency ?? props.maxConcurrency ?? 50;
    const work = fn('Work', 'work', { memorySize: props.workerMemoryMb, timeout: Duration.seconds(Math.min(900, Math.max(30, workTimeout))), ...(reserved > 0 ? { reservedConcurrentExecutions: reserved } : {}) });
    const reduce = fn('Reduce', 'reduce', { memorySize: 1024, timeout: Duration.minutes(15) });
    const finalize = fn('Finalize', 'finalize', { memorySize: 1024, timeout: Duration.minutes(15) });
    const fail = fn('Fail', 'fail');
    const api = fn('ApiHandler', 'api', { timeout: Duration.seconds(29) });
    const collect = props.config.pipelines.some((p) => p.collect) ? fn('Collect', 'collect', { memorySize: 2048, timeout: Duration.minutes(15) }) : undefined;
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    const fargateMemory = Math.max(2048, ...props.config.pipelines.filter((p) => p.compute.type === 'fargate').map((p) => p.compute.memoryMb));
    if (props.fargate) {
      this.fargateWorker = new FargateWorker(this, 'Fargate', { environment: { ...environment, SLUICE_CONFIG: configJson }, memoryMiB: fargateMemory, removalPolicy });
    }
    const retry = props.config.pipelines.reduce((r, p) => ({ maxAttempts: Math.max(r.maxAttempts, p.retry.maxAttempts), baseDelayMs: Math.max(r.baseDelayMs, p.retry.baseDelayMs), maxDelayMs: Math.max(r.maxDelayMs, p.retry.maxDelayMs) }), { maxAttempts: 1, baseDelayMs: 1000, maxDelayMs: 1000 });
    this.pipeline = new PipelineStateMachine(this, 'Pipeline', {
      bucket,
      plan,
      work,
      reduce,
      finalize,
      fail,
      fargate: this.fargateWorker,
      maxConcurrency: props.maxConcurrency ?? 50,
      toleratedFailurePercentage: props.toleratedFailurePercentage ?? 0,
      retry: { maxAttempts: retry.maxAttempts, baseDelay: Duration.seconds(Math.max(1, Math.round(retry.baseDelayMs / 1000))), maxDelay: Duration.seconds(Math.max(1, Math.round(retry.maxDelayMs / 1000))) },
      removalPolicy,
    });
    const stateMachine = this.pipeline.stateMachine;

    const starter = { STATE_MACHINE_ARN: stateMachine.stateMachineArn };
    const dispatch = fn('Dispatch', 'dispatch', { environment: starter });
    const sweep = fn('Sweep', 'sweep', { timeout: Duration.minutes(5), environment: starter });
    this.ingest = new Ingest(this, 'Ingest', { bucket, dispatch });
    this.schedule = new Schedule(this, 'Schedule', {
      sweep,
      scheduled: props.config.pipelines.flatMap((p) => (p.schedule ? [{ pipeline: p.name, cron: p.schedule.cron, ...(p.schedule.prefix ? { prefix: p.schedule.prefix } : {}), collect: Boolean(p.collect) }] : [])),
      ...(collect ? { collect } : {}),
    });

    // Least privilege: each function gets the prefixes and table actions its step uses (see grantsOf).
    const grants = grantsOf(bucket, table);
    grants.dispatch(dispatch);
    grants.sweep(sweep);
    grants.plan(plan);
    grants.work(work);
    grants.reduce(reduce);
    grants.finalize(finalize);
    grants.fail(fail);
    grants.api(api);
    if (collect) grants.collect(collect);
    this.api = new Api(this, 'Api', { handler: api, removalPolicy });
    stateMachine.grantStartExecution(dispatch);
    stateMachine.grantStartExecution(sweep);
    // Before it restarts a quiet job, the sweep asks whether its execution still runs.
    stateMachine.grantExecution(sweep, 'states:DescribeExecution');
    defaultBus.grantPutEventsTo(finalize);
    defaultBus.grantPutEventsTo(fail);
    if (props.summaryEmail) {
      const key = new Key(this, 'SummariesKey', { enableKeyRotation: true });
      this.summaries = new Topic(this, 'JobSummaries', { masterKey: key, enforceSSL: true });
      this.summaries.addSubscription(new EmailSubscription(props.summaryEmail));
      for (const f of [finalize, fail]) {
        f.addEnvironment('SUMMARY_TOPIC_ARN', this.summaries.topicArn);
        // With the topic's key: grantPublish covers it.
        this.summaries.grantPublish(f);
      }
    }
    if (this.fargateWorker) grants.work(this.fargateWorker.taskDefinition.taskRole);

    this.observability = new Observability(this, 'Observability', { deadLetters: this.ingest.deadLetters, stateMachine, work, alarmEmail: props.alarmEmail });
    new CfnOutput(this, 'DataBucket', { value: bucket.bucketName, description: 'Drop files under incoming/' });
    new CfnOutput(this, 'JobsTable', { value: table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlarmTopic', { value: this.observability.topic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: this.ingest.deadLetters.queueArn, description: 'S3 events dispatch gave up on: sluice redrive <this ARN>' });
    acknowledgeNagFindings(this);
  }
}

/**
 * What each step reads and writes. Inputs arrive under incoming/ (the only prefix ingest and the
 * sweep take); a job's plan, items, chunk results and key runs live under manifests/.
 */
function grantsOf(bucket: IBucket, table: ITable) {
  const INPUT = `${INCOMING_PREFIX}*`;
  const JOB_TABLE = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'];
  return {
    // HEAD of the new object, then the JOB item created once.
    dispatch: (g: IGrantable) => (bucket.grantRead(g, INPUT), table.grant(g, 'dynamodb:GetItem', 'dynamodb:PutItem')),
    // Lists and HEADs incoming/; queries the status index; dispatches and restarts jobs.
    sweep: (g: IGrantable) => (bucket.grantRead(g, INPUT), table.grant(g, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query')),
    // Reads the input, writes the plan and the Map's items.
    plan: (g: IGrantable) => (bucket.grantRead(g, INPUT), bucket.grantReadWrite(g, 'manifests/*'), table.grant(g, ...JOB_TABLE)),
    // Reads the input and the plan; writes a chunk's parts, staged rejects, result and key run. A
    // compute.command reads the chunk's parts back to stage them, and writes under results/.
    work: (g: IGrantable) => (bucket.grantRead(g, INPUT), bucket.grantReadWrite(g, 'manifests/*'), bucket.grantRead(g, 'results/*'), bucket.grantPut(g, 'results/*'), bucket.grantPut(g, 'rejects/*'), table.grant(g, ...JOB_TABLE)),
    // Reads the plan's head and the chunks' key runs; writes its partition's result.
    reduce: (g: IGrantable) => bucket.grantReadWrite(g, 'manifests/*'),
    // Reads the chunks' results and staged rejects; writes rejects, _SUCCESS and the report; removes the staged rejects.
    finalize: (g: IGrantable) => {
      bucket.grantRead(g, 'manifests/*');
      for (const prefix of ['results/*', 'rejects/*', 'reports/*']) bucket.grantReadWrite(g, prefix);
      bucket.grantDelete(g, 'rejects/*');
      table.grant(g, ...JOB_TABLE);
    },
    // Only the job's records.
    fail: (g: IGrantable) => table.grant(g, ...JOB_TABLE),
    // Lists and HEADs incoming/ (to find each file's job), reads the jobs' _SUCCESS and parts; writes
    // its temp partitions under manifests/ and the collection under collections/.
    collect: (g: IGrantable) => (bucket.grantRead(g, INPUT), bucket.grantRead(g, 'results/*'), bucket.grantRead(g, 'manifests/*'), bucket.grantReadWrite(g, 'manifests/collections/*'), bucket.grantDelete(g, 'manifests/collections/*'), bucket.grantReadWrite(g, 'collections/*'), bucket.grantDelete(g, 'collections/*'), table.grant(g, 'dynamodb:GetItem')),
    // Reads the job table (items, the status index, history), the running jobs' chunk results under
    // manifests/, and the reports and rejects it links to (presigned as itself).
    api: (g: IGrantable) => (table.grant(g, 'dynamodb:GetItem', 'dynamodb:Query'), bucket.grantRead(g, 'manifests/*'), bucket.grantRead(g, 'reports/*'), bucket.grantRead(g, 'rejects/*')),
  };
}
