import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load.js';
import { SluiceStack } from '../../infra/sluice-stack.js';
import { fargateSize } from '../../infra/constructs/fargate-worker.js';
import { resolveDefinition } from '../integration/asl.js';
import { templateApp } from '../cdk-app.js';

let template: Template;
let stack: SluiceStack;
let app: App;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const config = await loadConfig('examples/flux/pipeline.yaml');
  const made = await templateApp();
  cleanup = made.cleanup;
  app = made.app;
  stack = new SluiceStack(app, 'Test', { config, removal: 'destroy', workerMemoryMb: 1769, fargate: true, alarmEmail: 'ops@example.com', summaryEmail: 'data@example.com', env: { account: '123456789012', region: 'eu-west-1' } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  template = Template.fromStack(stack);
});
afterAll(() => cleanup());

const RESOURCELESS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'ecr:GetAuthorizationToken',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'ecs:StopTask',
  'ecs:DescribeTasks',
]);

const statements = () =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement);

describe('storage', () => {
  it('blocks public access, encrypts, enforces SSL, versions, logs access and expires manifests and rejects', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'data/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          // A week longer than the chunk items' 30-day TTL: a resume reads the plan and the chunks.
          Match.objectLike({ Id: 'manifests', Prefix: 'manifests/', ExpirationInDays: 37, Status: 'Enabled' }),
          Match.objectLike({ Id: 'rejects', Prefix: 'rejects/', ExpirationInDays: 365 }),
        ]),
      },
    });
    for (const policy of Object.values(template.findResources('AWS::S3::BucketPolicy'))) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
    expect(Object.keys(template.findResources('AWS::S3::BucketPolicy'))).toHaveLength(2);
  });

  it('keeps files under incoming/ unless incomingDays is given, and then expires them (their versions stay 30 days more)', async () => {
    const rules = (t: Template) => (Object.values(t.findResources('AWS::S3::Bucket')).find((b) => JSON.stringify(b).includes('manifests/')) as { Properties: { LifecycleConfiguration: { Rules: { Id: string; Prefix?: string; ExpirationInDays?: number; NoncurrentVersionExpiration?: unknown }[] } } }).Properties.LifecycleConfiguration.Rules;
    expect(rules(template).map((r) => r.Id)).not.toContain('incoming');
    const made = await templateApp();
    try {
      const config = await loadConfig('examples/flux/pipeline.yaml');
      const archived = Template.fromStack(new SluiceStack(made.app, 'Archived', { config, removal: 'destroy', workerMemoryMb: 1769, fargate: false, incomingDays: 14 }));
      expect(rules(archived)).toEqual(expect.arrayContaining([expect.objectContaining({ Id: 'incoming', Prefix: 'incoming/', ExpirationInDays: 14 }), expect.objectContaining({ Id: 'old-versions', NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]));
    } finally {
      await made.cleanup();
    }
  });

  it('has the job table with pk/sk, a status index, TTL and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'updatedAt', KeyType: 'RANGE' }] })],
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });
});

describe('ingest', () => {
  it('sends ObjectCreated under incoming/ to an encrypted queue with a DLQ that feeds dispatch with partial batch failures', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'incoming/' }] } }, Queue: Match.anyValue() }] },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
    for (const q of Object.values(template.findResources('AWS::SQS::Queue'))) expect((q as { Properties: { SqsManagedSseEnabled?: boolean } }).Properties.SqsManagedSseEnabled).toBe(true);
  });
});

describe('the HTTP API', () => {
  it('has exactly the four GET routes, each requiring IAM authorization, and logs every request', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    expect(Object.values(routes).map((r) => r.Properties.RouteKey).sort()).toEqual(['GET /api/jobs', 'GET /api/jobs/{id}', 'GET /api/jobs/{id}/rejects', 'GET /api/pipelines/{name}/history']);
    for (const r of Object.values(routes)) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true, AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('identity.userArn') } });
  });

  it('backs them with the API λ, which may only read the job table, chunk results, reports and rejects', () => {
    const fn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ApiHandler'))!;
    expect(fn[1].Properties.Runtime).toBe('nodejs22.x');
    const role = fn[1].Properties.Role['Fn::GetAtt'][0] as string;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const actions = new Set(statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action])));
    for (const a of actions) expect(a, a).toMatch(/^(dynamodb:(GetItem|Query)|s3:(GetObject\*|GetBucket\*|List\*)|xray:.*)$/);
    const s3Resources = JSON.stringify(statements.filter((st) => JSON.stringify(st.Action).includes('s3:GetObject')).map((st) => st.Resource));
    expect(s3Resources).toContain('/reports/*');
    expect(s3Resources).toContain('/rejects/*');
    expect(s3Resources).toContain('/manifests/*');
    expect(s3Resources).not.toContain('/incoming/*');
  });
});

describe('lambdas', () => {
  it('run nodejs22.x on arm64 with X-Ray', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Runtime: string; Architectures: string[]; TracingConfig: { Mode: string } } }[];
    expect(fns.length).toBe(8);
    for (const f of fns) {
      expect(f.Properties.Runtime).toBe('nodejs22.x');
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('read their source maps, and the work λ reserves the chunks one job runs at once', () => {
    const fns = Object.entries(template.findResources('AWS::Lambda::Function')) as [string, { Properties: { Environment: { Variables: Record<string, string> }; ReservedConcurrentExecutions?: number } }][];
    for (const [, f] of fns) expect(f.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    const reserved = fns.filter(([, f]) => f.Properties.ReservedConcurrentExecutions !== undefined);
    expect(reserved.map(([id, f]) => [id.replace(/[0-9A-F]{8}$/, ''), f.Properties.ReservedConcurrentExecutions])).toEqual([['Work', 50]]);
  });
});

describe('state machine', () => {
  const definition = () => {
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as { Properties: { DefinitionString: unknown; LoggingConfiguration: unknown; TracingConfiguration: unknown; StateMachineType?: string } };
    return { sm, text: JSON.stringify(sm.Properties.DefinitionString) };
  };

  it('is Standard, logs ALL and traces', () => {
    const { sm } = definition();
    expect(sm.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(sm.Properties.StateMachineType ?? 'STANDARD').toBe('STANDARD');
  });

  it('plans, maps over the S3 JSON manifest in batches the plan sizes, chooses Lambda or Fargate .sync, finalizes, and catches into the fail λ', () => {
    const { text } = definition();
    expect(text).toContain('\\"ProcessorConfig\\":{\\"Mode\\":\\"DISTRIBUTED\\"');
    expect(text).toContain('\\"ItemReader\\":{\\"Resource\\":\\"arn:');
    expect(text).toContain('s3:getObject');
    expect(text).toContain('\\"ReaderConfig\\":{\\"InputType\\":\\"JSON\\"}');
    expect(text).toContain('ecs:runTask.sync');
    // A child gets {Items: [...]}: as many chunks as the plan's batch, all of one job and so of one compute.
    expect(text).toContain('\\"ItemBatcher\\":{\\"MaxItemsPerBatchPath\\":\\"$.plan.batch\\"}');
    expect(text).toContain('\\"Variable\\":\\"$.Items[0].compute\\",\\"StringEquals\\":\\"fargate\\"');
    expect(text).toMatch(/\\"Catch\\":\[\{\\"ErrorEquals\\":\[\\"States.ALL\\"\],\\"ResultPath\\":\\"\$.error\\",\\"Next\\":\\"RecordFailure\\"/);
    expect(text).toContain('\\"MaxConcurrency\\":50');
  });

  it('retries transient errors by the config, and Lambda throttles and ECS capacity by their own longer policy, with backoff, full jitter and a max delay, and never permanent errors', () => {
    const { sm } = definition();
    const asl = resolveDefinition(sm.Properties.DefinitionString as never, template.toJSON().Resources as never);
    type Retrier = { ErrorEquals: string[]; BackoffRate: number; IntervalSeconds?: number; MaxAttempts?: number; MaxDelaySeconds?: number; JitterStrategy?: string };
    const tasks: Record<string, { Retry?: Retrier[]; OutputPath?: unknown }> = {};
    const visit = (m: { States: Record<string, never> }) => {
      for (const [name, st] of Object.entries(m.States) as [string, { Type: string; ItemProcessor?: never }][]) {
        if (st.Type === 'Task') tasks[name] = st as never;
        if (st.ItemProcessor) visit(st.ItemProcessor);
      }
    };
    visit(asl as never);
    expect(Object.keys(tasks).sort()).toEqual(['Finalize', 'Plan', 'PlanFromScans', 'RecordFailure', 'ReducePartition', 'ScanWindow', 'Work', 'WorkOnFargate']);
    for (const [name, task] of Object.entries(tasks)) {
      for (const retry of task.Retry!) {
        expect(retry).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL', MaxDelaySeconds: expect.any(Number) });
        expect(retry.ErrorEquals.filter((e) => /Input|Config|States\.ALL|TaskFailed/.test(e)), name).toEqual([]);
      }
    }
    const lambdaService = { ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException', 'Lambda.ServiceException']), IntervalSeconds: 2, MaxAttempts: 12, MaxDelaySeconds: 300 };
    for (const name of ['Plan', 'ScanWindow', 'PlanFromScans', 'Work', 'ReducePartition', 'Finalize']) {
      expect(tasks[name]!.Retry, name).toHaveLength(2);
      expect(tasks[name]!.Retry![0]!.ErrorEquals).toContain('Sluice.TransientError');
      expect(tasks[name]!.Retry![0]!.ErrorEquals).not.toContain('Lambda.TooManyRequestsException');
      expect(tasks[name]!.Retry![1]).toMatchObject(lambdaService);
    }
    expect(tasks.RecordFailure!.Retry).toEqual([expect.objectContaining(lambdaService)]);
    expect(tasks.WorkOnFargate!.Retry).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.Timeout'], MaxAttempts: 2 }),
      expect.objectContaining({ ErrorEquals: expect.arrayContaining(['ECS.AmazonECSException', 'ECS.ThrottlingException']), IntervalSeconds: 10, MaxAttempts: 8, MaxDelaySeconds: 600 }),
    ]);
    // The default policy is 3 attempts in all: the first and 2 retries.
    expect(tasks.Work!.Retry![0]!.MaxAttempts).toBe(2);
    expect(tasks.Work!.Retry![0]!.ErrorEquals).toEqual(expect.arrayContaining(['Sandbox.Timedout', 'States.Timeout', 'Lambda.Unknown']));
    // A chunk's output is {}, so the Map's gathered outputs stay small however many chunks there are.
    expect(tasks.Work!.OutputPath).toBeNull();
    expect(tasks.WorkOnFargate!.OutputPath).toBeNull();
    expect(tasks.ReducePartition!.OutputPath).toBeNull();
    expect(tasks.ScanWindow!.OutputPath).toBeNull();
  });

  it('scans a quoted file for boundaries in a Distributed Map of Plan λs, one per window, then plans from their scans; else maps at once', () => {
    const { sm } = definition();
    const asl = resolveDefinition(sm.Properties.DefinitionString as never, template.toJSON().Resources as never) as { States: Record<string, Record<string, unknown>> };
    expect(asl.States.Plan!.Next).toBe('NeedsBoundaryScan');
    expect(asl.States.NeedsBoundaryScan).toMatchObject({ Type: 'Choice', Choices: [{ Variable: '$.plan.scanKey', IsPresent: true, Next: 'ScanWindows' }], Default: 'Chunks' });
    const scan = asl.States.ScanWindows as { ItemReader: unknown; ItemProcessor: { ProcessorConfig: unknown; StartAt: string; States: Record<string, { Resource: string }> }; ResultPath: unknown; Next: string; Catch: { Next: string }[]; MaxConcurrency: number };
    expect(scan.ItemReader).toMatchObject({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Key.$': '$.plan.scanKey' } });
    expect(scan.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'ScanWindow' });
    expect(scan).toMatchObject({ ResultPath: null, Next: 'PlanFromScans', MaxConcurrency: 50 });
    expect(scan.Catch[0]!.Next).toBe('RecordFailure');
    const plan = asl.States.Plan as { Resource: string };
    const fromScans = asl.States.PlanFromScans as { Resource: string; Parameters: Record<string, unknown>; ResultPath: string; Next: string; Catch: { Next: string }[] };
    // The same Plan λ all three ways.
    expect(plan.Resource).toMatch(/^arn:aws:lambda:.*:function:Plan/);
    expect(scan.ItemProcessor.States.ScanWindow!.Resource).toBe(plan.Resource);
    expect(fromScans.Resource).toBe(plan.Resource);
    expect(fromScans.Parameters).toEqual({ 'jobId.$': '$.jobId', 'pipeline.$': '$.pipeline', 'key.$': '$.key', scanned: true });
    expect(fromScans).toMatchObject({ ResultPath: '$.plan', Next: 'Chunks' });
    expect(fromScans.Catch[0]!.Next).toBe('RecordFailure');
  });

  it('reduces the unique keys in a second Distributed Map, one item per hash partition, only when the plan has partitions, then finalizes', () => {
    const { sm } = definition();
    const asl = resolveDefinition(sm.Properties.DefinitionString as never, template.toJSON().Resources as never) as { States: Record<string, Record<string, unknown>> };
    expect(asl.States.Chunks!.Next).toBe('HasUniqueRules');
    expect(asl.States.HasUniqueRules).toMatchObject({ Type: 'Choice', Choices: [{ And: [{ Variable: '$.plan.reducePartitions', IsPresent: true }, { Variable: '$.plan.reducePartitions', NumericGreaterThan: 0 }], Next: 'Reduce' }], Default: 'Finalize' });
    const reduce = asl.States.Reduce as { ItemReader: unknown; ItemProcessor: { ProcessorConfig: unknown; StartAt: string }; ResultPath: unknown; Next: string; Catch: { Next: string }[]; MaxConcurrency: number };
    expect(reduce.ItemReader).toMatchObject({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Key.$': '$.plan.reduceKey' } });
    expect(reduce.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'ReducePartition' });
    expect(reduce).toMatchObject({ ResultPath: null, Next: 'Finalize', MaxConcurrency: 50 });
    expect(reduce.Catch[0]!.Next).toBe('RecordFailure');
    expect(asl.States.Finalize!.Next).toBe('Done');
  });
});

describe('fargate', () => {
  it('runs in public subnets with no NAT gateway, egress-only security group and S3/DynamoDB gateway endpoints', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: 'Sluice Fargate workers: egress only', SecurityGroupIngress: Match.absent() });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' }, RequiresCompatibilities: ['FARGATE'], Cpu: '1024', Memory: '2048' });
  });

  it('builds its image for ARM64, the platform the task asks for, whatever the deploy host is', async () => {
    const assembly = app.synth();
    const manifest = JSON.parse(await readFile(join(assembly.directory, 'Test.assets.json'), 'utf8')) as { dockerImages: Record<string, { source: { dockerFile?: string; platform?: string } }> };
    const images = Object.values(manifest.dockerImages);
    expect(images.map((i) => [i.source.dockerFile, i.source.platform])).toEqual([['functions/task/Dockerfile', 'linux/arm64']]);
  });

  it('sizes tasks from the Fargate table: one vCPU at least, memory rounded up to a valid step', () => {
    expect([2048, 1, 3000, 8192, 9000, 20_000, 40_000, 70_000, 122_880].map(fargateSize)).toEqual([
      { cpu: 1024, memoryMiB: 2048 },
      { cpu: 1024, memoryMiB: 2048 },
      { cpu: 1024, memoryMiB: 3072 },
      { cpu: 1024, memoryMiB: 8192 },
      { cpu: 2048, memoryMiB: 9216 },
      { cpu: 4096, memoryMiB: 20480 },
      { cpu: 8192, memoryMiB: 40960 },
      { cpu: 16384, memoryMiB: 73728 },
      { cpu: 16384, memoryMiB: 122880 },
    ]);
    expect(() => fargateSize(130_000)).toThrow('compute.memoryMb: 130000 MiB is more than a Fargate task has (122880 MiB)');
  });
});

describe('schedule and observability', () => {
  it('sweeps on an EventBridge rule and alarms on DLQ depth, failed executions and worker errors to SNS', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED' });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: [Match.anyValue()] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('lets CloudWatch publish to the encrypted alarm topic: the topic policy and the key policy both allow it', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
  });
});

describe('collections in AWS', () => {
  it('run a collect λ on the scheduled pipeline\'s rule, beside the sweep; without collect there is none', async () => {
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).some((k) => k.startsWith('Collect'))).toBe(false);
    const config = await loadConfig('examples/batch/pipeline.yaml');
    const scheduled = { ...config, pipelines: [{ ...config.pipelines[0]!, schedule: { cron: 'cron(0 6 * * ? *)', prefix: 'sites/' } }] };
    const made = await templateApp();
    try {
      const t = Template.fromStack(new SluiceStack(made.app, 'Batch', { config: scheduled, removal: 'destroy', workerMemoryMb: 1769, fargate: false, env: { account: '123456789012', region: 'eu-west-1' } }));
      const fns = Object.keys(t.findResources('AWS::Lambda::Function'));
      const collect = fns.find((k) => k.startsWith('Collect'))!;
      const sweep = fns.find((k) => k.startsWith('Sweep'))!;
      const rule = Object.values(t.findResources('AWS::Events::Rule')).find((r) => r.Properties.ScheduleExpression === 'cron(0 6 * * ? *)')!;
      const targets = rule.Properties.Targets as { Arn: { 'Fn::GetAtt': [string, string] }; Input: string }[];
      expect(targets.map((x) => x.Arn['Fn::GetAtt'][0]).sort()).toEqual([collect, sweep].sort());
      for (const x of targets) expect(JSON.parse(x.Input)).toEqual({ pipeline: 'batch', prefix: 'sites/' });
      t.hasResourceProperties('AWS::Lambda::Function', { Timeout: 900, MemorySize: 2048, Handler: Match.anyValue() });
    } finally {
      await made.cleanup();
    }
  });
});

describe('job summaries', () => {
  it('e-mail every finished job through an encrypted topic that only finalize and fail publish to', () => {
    const topics = template.findResources('AWS::SNS::Topic');
    const id = Object.keys(topics).find((k) => k.startsWith('JobSummaries'))!;
    expect((topics[id] as { Properties: { KmsMasterKeyId?: unknown } }).Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'data@example.com', TopicArn: { Ref: id } });
    const fns = Object.entries(template.findResources('AWS::Lambda::Function')) as [string, { Properties: { Environment: { Variables: Record<string, unknown> }; Role: { 'Fn::GetAtt': [string, string] } } }][];
    const withTopic = fns.filter(([, f]) => JSON.stringify(f.Properties.Environment.Variables.SUMMARY_TOPIC_ARN) === JSON.stringify({ Ref: id })).map(([k]) => k.replace(/[0-9A-F]{8}$/, ''));
    expect(withTopic.sort()).toEqual(['Fail', 'Finalize']);
    const publishers = (Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }[])
      .filter((p) => p.Properties.PolicyDocument.Statement.some((st) => [st.Action].flat().includes('sns:Publish') && JSON.stringify(st.Resource) === JSON.stringify({ Ref: id })))
      .flatMap((p) => p.Properties.Roles.map((r) => r.Ref.replace(/ServiceRole[0-9A-F]{8}$/, '')));
    expect(publishers.sort()).toEqual(['Fail', 'Finalize']);
  });
});

describe('security', () => {
  it('has no IAM statement with a * action, and * resources only where AWS requires them', () => {
    const all = statements();
    expect(all.length).toBeGreaterThan(10);
    for (const s of all) {
      const actions = ([] as string[]).concat(s.Action);
      expect(actions).not.toContain('*');
      for (const a of actions) expect(a).not.toMatch(/^[a-z0-9-]+:\*$/);
      if (s.Resource === '*') {
        // Only actions AWS defines without a resource ARN (each acknowledged in infra/nag.ts).
        expect(actions.filter((a) => !RESOURCELESS.has(a))).toEqual([]);
      }
    }
  });

  it('gives each function only the key prefixes and table actions its step uses', () => {
    type Statement = { Action: string | string[]; Resource: unknown };
    const roleOf = (fn: string) => Object.keys(template.findResources('AWS::IAM::Role')).find((r) => r.startsWith(`${fn}ServiceRole`) || r.startsWith(`${fn}TaskRole`))!;
    const grantsOf = (role: string) => {
      const out: Record<string, string[]> = {};
      for (const p of Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }[]) {
        if (!p.Properties.Roles.some((r) => r.Ref === role)) continue;
        for (const st of p.Properties.PolicyDocument.Statement) {
          const actions = [st.Action].flat().filter((a) => a.startsWith('s3:') || a.startsWith('dynamodb:'));
          if (!actions.length) continue;
          // The object pattern of a bucket grant ("incoming/*"), or "table" for the job table and its index.
          const text = JSON.stringify(st.Resource);
          const where = actions[0]!.startsWith('dynamodb:') ? 'table' : (/"\/([a-z]+\/\*|\*)"/.exec(text)?.[1] ?? 'bucket');
          const kinds = actions.map((a) => (a.startsWith('dynamodb:') ? a.slice(9) : /^s3:(Get|List)/.test(a) ? 'read' : /^s3:Delete/.test(a) ? 'delete' : 'write'));
          out[where] = [...new Set([...(out[where] ?? []), ...kinds])].sort();
        }
      }
      return out;
    };
    const read = ['read'];
    const readWrite = ['delete', 'read', 'write'];
    const JOB = ['GetItem', 'PutItem', 'Query', 'UpdateItem'];
    expect(grantsOf(roleOf('Dispatch'))).toEqual({ 'incoming/*': read, table: ['GetItem', 'PutItem'] });
    expect(grantsOf(roleOf('Sweep'))).toEqual({ 'incoming/*': read, table: ['GetItem', 'PutItem', 'Query'] });
    expect(grantsOf(roleOf('Plan'))).toEqual({ 'incoming/*': read, 'manifests/*': readWrite, table: JOB });
    // The chunk step stages its parts for a compute.command: it reads results/ back.
    const work = { 'incoming/*': read, 'manifests/*': readWrite, 'results/*': ['read', 'write'], 'rejects/*': ['write'], table: JOB };
    expect(grantsOf(roleOf('Work'))).toEqual(work);
    expect(grantsOf(roleOf('FargateTask'))).toEqual(work);
    expect(grantsOf(roleOf('Reduce'))).toEqual({ 'manifests/*': readWrite });
    expect(grantsOf(roleOf('Finalize'))).toEqual({ 'manifests/*': read, 'results/*': readWrite, 'rejects/*': readWrite, 'reports/*': readWrite, table: JOB });
    expect(grantsOf(roleOf('Fail'))).toEqual({ table: JOB });
  });

  it('passes cdk-nag AwsSolutions with every acknowledgment justified', () => {
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data).split('\n')[0]}`)).toEqual([]);
  });
});
