import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CHUNK_TTL_DAYS, STATUS_INDEX } from '../../shared/aws/dynamo-state-store.js';

export interface StorageProps {
  /** destroy for dev stacks; retain keeps data when the stack goes. */
  readonly removalPolicy: RemovalPolicy;
  /** Days manifests and chunk results stay. */
  readonly manifestDays?: number;
  /** Days rejects stay (moved to Infrequent Access after 30). */
  readonly rejectDays?: number;
  /**
   * Days a file stays under incoming/ (then it becomes a noncurrent version, kept 30 days more):
   * the archive step, so that the landing prefix holds recent files and its listing stays short.
   */
  readonly incomingDays?: number;
}

/** The data bucket (incoming/, manifests/, results/, rejects/, reports/), its access-log bucket, and the job table. */
export class Storage extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogs: Bucket;
  public readonly table: TableV2;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const common = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    };
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...common,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    this.bucket = new Bucket(this, 'Data', {
      ...common,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules: [
        // A job's plan must outlive its chunk items: a resume reads both.
        { id: 'manifests', prefix: 'manifests/', expiration: Duration.days(props.manifestDays ?? CHUNK_TTL_DAYS + 7) },
        {
          id: 'rejects',
          prefix: 'rejects/',
          transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }],
          expiration: Duration.days(props.rejectDays ?? 365),
        },
        ...(props.incomingDays !== undefined ? [{ id: 'incoming', prefix: 'incoming/', expiration: Duration.days(props.incomingDays) }] : []),
        { id: 'old-versions', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(2) },
      ],
    });
    this.table = new TableV2(this, 'Jobs', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy,
      globalSecondaryIndexes: [
        { indexName: STATUS_INDEX, partitionKey: { name: 'status', type: AttributeType.STRING }, sortKey: { name: 'updatedAt', type: AttributeType.STRING } },
      ],
    });
  }
}
