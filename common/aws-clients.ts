/**
 * AWS SDK clients built from configuration, shared by the worker, the dev
 * stack and tests, so every process reaches S3 and DynamoDB the same way.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from './config.js';

/** Credentials the embedded endpoints (s3rver, dynalite) accept: they check the signature format only. */
export const EMBEDDED_AWS_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** The AWS group of the configuration: region, credentials and the endpoint overrides. */
type AwsConfig = {
  aws: Pick<Config['aws'], 'region' | 'credentials'> &
    Partial<Pick<Config['aws'], 's3Endpoint' | 'dynamodbEndpoint'>>;
};

function base(config: AwsConfig) {
  return {
    region: config.aws.region,
    ...(config.aws.credentials === 'embedded' ? { credentials: EMBEDDED_AWS_CREDENTIALS } : {}),
  };
}

/** Path-style addressing whenever an endpoint override (s3rver, MinIO) is configured. */
export function createS3Client(
  config: AwsConfig,
  extra: Pick<S3ClientConfig, 'requestChecksumCalculation'> = {},
): S3Client {
  return new S3Client({
    ...base(config),
    ...(config.aws.s3Endpoint ? { endpoint: config.aws.s3Endpoint, forcePathStyle: true } : {}),
    ...extra,
  });
}

/**
 * Signs presigned URLs (snapshot grants). Checksums only when required: by
 * default the SDK bakes a checksum of an empty body into presigned PUT URLs,
 * which real S3 then enforces against the real body.
 */
export function createS3Presigner(config: AwsConfig): S3Client {
  return createS3Client(config, { requestChecksumCalculation: 'WHEN_REQUIRED' });
}

export function createDynamoClient(config: AwsConfig): DynamoDBClient {
  return new DynamoDBClient({
    ...base(config),
    ...(config.aws.dynamodbEndpoint ? { endpoint: config.aws.dynamodbEndpoint } : {}),
  });
}
