import type { RemovalPolicy } from 'aws-cdk-lib';
import { IgnoreMode } from 'aws-cdk-lib';
import { SubnetType, Vpc, SecurityGroup, GatewayVpcEndpointAwsService } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerImage, ContainerInsights, CpuArchitecture, FargateTaskDefinition, LogDrivers, OperatingSystemFamily, type ContainerDefinition } from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

export interface FargateWorkerProps {
  readonly environment: Record<string, string>;
  readonly memoryMiB: number;
  readonly removalPolicy: RemovalPolicy;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Fargate's CPU and memory pairs (MiB): each CPU allows memory from `min` to `max` in `step`s. */
const FARGATE_SIZES = [
  { cpu: 1024, min: 2048, max: 8192, step: 1024 },
  { cpu: 2048, min: 4096, max: 16384, step: 1024 },
  { cpu: 4096, min: 8192, max: 30720, step: 1024 },
  { cpu: 8192, min: 16384, max: 61440, step: 4096 },
  { cpu: 16384, min: 32768, max: 122880, step: 8192 },
] as const;

/**
 * The task size for at least `memoryMiB`: the least CPU (one vCPU at least: the chunks are heavy
 * ones) whose memory range reaches it, and that CPU's least valid memory at or above it.
 */
export function fargateSize(memoryMiB: number): { cpu: number; memoryMiB: number } {
  for (const s of FARGATE_SIZES) {
    if (memoryMiB > s.max) continue;
    const memory = Math.max(s.min, Math.ceil(memoryMiB / s.step) * s.step);
    return { cpu: s.cpu, memoryMiB: memory };
  }
  throw new Error(`compute.memoryMb: ${memoryMiB} MiB is more than a Fargate task has (${FARGATE_SIZES[FARGATE_SIZES.length - 1]!.max} MiB)`);
}

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
    const size = fargateSize(props.memoryMiB);
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: size.cpu,
      memoryLimitMiB: size.memoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    this.container = this.taskDefinition.addContainer('worker', {
      // The image needs only the engine, the handlers and the lockfile.
      image: ContainerImage.fromAsset(root, {
        file: 'functions/task/Dockerfile',
        // The task runs on ARM64: build for it whatever the deploy host is.
        platform: Platform.LINUX_ARM64,
        ignoreMode: IgnoreMode.DOCKER,
        exclude: ['*', '!package.json', '!package-lock.json', '!shared', '!functions', 'functions/**/*.test.ts'],
      }),
      environment: props.environment,
      logging: LogDrivers.awsLogs({ streamPrefix: 'worker', logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy }) }),
    });
  }
}
