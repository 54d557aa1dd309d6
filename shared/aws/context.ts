import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { parseConfig } from '../config/load.js';
import type { CloudDeps, EventPublisher, ExecutionStarter, Log } from '../jobs/ports.js';
import { EventBridgePublisher, SfnExecutionStarter, SnsJobSummaries } from './adapters.js';
import { DynamoStateStore } from './dynamo-state-store.js';
import type { LambdaEnv } from './env.js';
import { S3ObjectStore } from './s3-object-store.js';
import { childEnvironment } from '../env.js';

export interface CloudContext extends CloudDeps {
  readonly starter: ExecutionStarter;
  readonly events: EventPublisher;
  /** A presigned GET of an object in the bucket, valid for 15 minutes. */
  link(key: string): Promise<string>;
}

/** How long a presigned link to a report or rejects part stays valid. */
const LINK_SECONDS = 900;

/**
 * Clients, stores and config built once per container from the environment. `instrument` wraps
 * each SDK client as it is made (the handlers' tracer).
 */
export function cloudContext(env: LambdaEnv, log: Log, instrument: <T>(client: T) => T = (c) => c): CloudContext {
  const endpoint = env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {};
  const s3 = instrument(new S3Client({ ...endpoint, forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true' || Boolean(env.AWS_ENDPOINT_URL) }));
  const objects = new S3ObjectStore(s3, env.BUCKET);
  const doc = DynamoDBDocumentClient.from(instrument(new DynamoDBClient(endpoint)), { marshallOptions: { removeUndefinedValues: true } });
  return {
    config: parseConfig(JSON.parse(env.SLUICE_CONFIG), 'SLUICE_CONFIG'),
    objects,
    state: new DynamoStateStore(doc, env.TABLE_NAME, objects),
    log,
    childEnvironment,
    link: (key) => getSignedUrl(s3, new GetObjectCommand({ Bucket: env.BUCKET, Key: key }), { expiresIn: LINK_SECONDS }),
    starter: new SfnExecutionStarter(instrument(new SFNClient(endpoint)), env.STATE_MACHINE_ARN ?? ''),
    events: new EventBridgePublisher(instrument(new EventBridgeClient(endpoint)), env.EVENT_BUS),
    ...(env.SUMMARY_TOPIC_ARN ? { summaries: new SnsJobSummaries(instrument(new SNSClient(endpoint)), env.SUMMARY_TOPIC_ARN, env.BUCKET, env.AWS_REGION) } : {}),
  };
}
