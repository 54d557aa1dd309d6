import { Token, Validations, type CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { SluiceStack } from './sluice-stack.js';

const ack = (scope: IConstruct, finding: string, reason: string) => Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });

const S3_GRANT_ACTIONS = ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'];
/** The key prefixes functions are granted (see grantsOf in sluice-stack.ts). */
const S3_PREFIXES = ['incoming', 'manifests', 'results', 'rejects', 'reports'];

/**
 * Every cdk-nag AwsSolutions finding we accept, each with its reason. Findings name logical ids,
 * so they are built from the constructs rather than copied from a report.
 */
export function acknowledgeNagFindings(stack: SluiceStack): void {
  const id = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnResource);
  const dataArn = `<${id(stack.storage.bucket)}.Arn>`;
  const tableArn = `<${id(stack.storage.table)}.Arn>`;
  const s3Grants = (scope: IConstruct) => {
    for (const a of S3_GRANT_ACTIONS) ack(scope, `IAM5[Action::${a}]`, 'Bucket grants: object-level actions under one prefix of the data bucket, whose keys are only known at run time.');
    for (const p of S3_PREFIXES) ack(scope, `IAM5[Resource::${dataArn}/${p}/*]`, `Objects under ${p}/ of the data bucket: keys are only known at run time.`);
  };
  const tableGrant = (scope: IConstruct) => ack(scope, `IAM5[Resource::${tableArn}/index/*]`, 'The job actions on the table cover the byStatus index the sweep queries.');

  ack(stack, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'The minimal managed policy for Lambda to write its own logs.');
  for (const child of stack.node.children) {
    const fn = child as Partial<IFunction> & IConstruct;
    if (!fn.functionArn || !fn.role) continue;
    ack(fn, 'L1', 'The design pins nodejs22.x (and keeps the code running on Node 20); nodejs24.x is newer.');
    ack(fn.role, 'IAM5[Resource::*]', 'xray:PutTraceSegments and PutTelemetryRecords take no resource ARN (tracing is on).');
    s3Grants(fn.role);
    tableGrant(fn.role);
  }

  const fargate = stack.fargateWorker;
  if (fargate) {
    ack(fargate.taskDefinition, 'ECS2', 'The environment holds the bucket and table names and the pipeline config: no secrets.');
    ack(fargate.taskDefinition.obtainExecutionRole(), 'IAM5[Resource::*]', 'ecr:GetAuthorizationToken takes no resource ARN.');
    s3Grants(fargate.taskDefinition.taskRole);
    tableGrant(fargate.taskDefinition.taskRole);
  }

  const sm = stack.pipeline.stateMachine;
  const smId = stack.getLogicalId(sm.node.defaultChild as CfnResource);
  const partition = '<AWS::Partition>';
  ack(sm.role, 'IAM5[Resource::*]', 'X-Ray tracing and the ECS .sync integration (events rule management) take no resource ARN.');
  for (const fnName of ['Plan', 'Work', 'Reduce', 'Finalize', 'Fail']) {
    const fn = stack.node.findChild(fnName);
    ack(sm.role, `IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnResource)}.Arn>:*]`, 'LambdaInvoke grant: any version or alias of our own function.');
  }
  ack(sm.role, `IAM5[Resource::arn:${partition}:s3:::<${id(stack.storage.bucket)}>/*]`, "The Distributed Maps' ItemReaders read manifests/<jobId>/chunks.json, reduce.json and scan/windows.json, known only at run time.");
  if (fargate) {
    const td = { Ref: stack.getLogicalId(fargate.taskDefinition.node.defaultChild as CfnResource) };
    const part = (i: number) => JSON.stringify({ 'Fn::Select': [i, { 'Fn::Split': [':', td] }] });
    const slash = (i: number) => JSON.stringify({ 'Fn::Select': [i, { 'Fn::Split': ['/', { 'Fn::Select': [5, { 'Fn::Split': [':', td] }] }] }] });
    ack(sm.role, `IAM5[Resource::arn:${part(1)}:${part(2)}:${part(3)}:${part(4)}:${slash(0)}/${slash(1)}:*]`, 'RunTask on any revision of our own task definition.');
  }
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const executions = `arn:${partition}:states:${region}:${account}:execution:${JSON.stringify({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: smId }] }] })}`;
  const mapPolicy = sm.node.tryFindChild('DistributedMapPolicy');
  if (mapPolicy) {
    ack(mapPolicy, `IAM5[Resource::${executions}/*:*]`, "The Distributed Map's child executions of this state machine.");
    ack(mapPolicy, `IAM5[Resource::${executions}:*]`, "The Distributed Map's child executions of this state machine.");
  }
  if (stack.summaries) {
    for (const fnName of ['Finalize', 'Fail']) {
      const role = (stack.node.findChild(fnName) as IFunction).role!;
      ack(role, 'IAM5[Action::kms:GenerateDataKey*]', "Topic.grantPublish on the job summaries' encrypted topic: the data-key actions SNS needs from a publisher, on that topic's key only.");
    }
  }
  const sweep = stack.node.findChild('Sweep') as IFunction;
  ack(sweep.role!, `IAM5[Resource::${executions}:*]`, 'DescribeExecution of this state machine\'s executions, whose names (job ids) are known only at run time.');
}
