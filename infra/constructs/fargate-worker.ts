import type { RemovalPolicy } from 'aws-cdk-lib';
import { IgnoreMode } from 'aws-cdk-lib';
import { SubnetType, Vpc, SecurityGroup, GatewayVpcEndpointAwsService } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerImage, ContainerInsights, CpuArchitecture, FargateTaskDefinition, LogDrivers, OperatingSystemFamily, type ContainerDefinition } from 'aws-cdk-lib/aws-ecs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

export interface FargateWorkerProps {
  readonly environment: Record<string, string>;
  readonly memoryMiB: number;
  readonly removalPolicy: RemovalPolicy;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * ECS Fargate for heavy chunks. No NAT gateway (its hourly and per-GB cost dwarfs the work):
 * tasks run in public subnets with a public IP for ECR/CloudWatch, behind a security group with
 * no inbound rules, and S3 and DynamoDB traffic stays on free gateway endpoints.
 */
export class FargateWorker extends Construct {
  public readonly cluster: Cluster;
  public readonly taskDefinition: FargateTaskDefinition;
  public readonly container: ContainerDefinition;
  public readonly securityGroup: SecurityGroup;
  public readonly vpc: Vpc;

  constructor(scope: Construct, id: string, props: FargateWorkerProps) {
    super(scope, id);
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC }],
      gatewayEndpoints: { s3: { service: GatewayVpcEndpointAwsService.S3 }, dynamodb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    this.vpc.addFlowLog('FlowLogs');
    this.securityGroup = new SecurityGroup(this, 'Tasks', { vpc: this.vpc, allowAllOutbound: true, description: 'Sluice Fargate workers: egress only' });
    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ContainerInsights.ENABLED, enableFargateCapacityProviders: true });
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: props.memoryMiB >= 8192 ? 2048 : 1024,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    this.container = this.taskDefinition.addContainer('worker', {
      // The image needs only the engine, the handlers and the lockfile.
      image: ContainerImage.fromAsset(root, {
        file: 'functions/task/Dockerfile',
        ignoreMode: IgnoreMode.DOCKER,
        exclude: ['*', '!package.json', '!package-lock.json', '!shared', '!functions', 'functions/**/*.test.ts'],
      }),
      environment: props.environment,
      logging: LogDrivers.awsLogs({ streamPrefix: 'worker', logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy }) }),
    });
  }
}
