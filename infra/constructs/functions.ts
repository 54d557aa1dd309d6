import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

export interface SluiceFunctionProps {
  /** functions/<entry>.ts */
  readonly entry: string;
  readonly environment: Record<string, string>;
  /** The validated config, bundled as a constant (Lambda caps environment variables at 4 KB). */
  readonly configJson: string;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Concurrent executions this function keeps for itself, and at most runs. */
  readonly reservedConcurrentExecutions?: number;
  readonly removalPolicy: RemovalPolicy;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A handler on nodejs22.x, arm64, bundled with its SDK by the local esbuild (no Docker), with X-Ray, JSON logs and source maps. */
export class SluiceFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: SluiceFunctionProps) {
    super(scope, id, {
      entry: `${root}functions/${props.entry}.ts`,
      projectRoot: root,
      depsLockFilePath: `${root}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy }),
      // Source maps are shipped in the bundle; Node reads them only when asked.
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: 'sluice', NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // The SDK versions the lockfile pins, not whichever the runtime happens to carry.
        externalModules: [],
        forceDockerBundling: false,
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        define: { 'process.env.SLUICE_CONFIG': JSON.stringify(props.configJson) },
      },
    });
  }
}
