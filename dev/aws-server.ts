/**
 * s3rver or dynalite as a process of its own, for a dev stack started with
 * `awsProcesses` (the chaos suite SIGKILLs them like any other component):
 * `aws-server.ts <s3|dynamodb> <options JSON> --parent-watchdog`. The servers
 * and their data are the ones dev/components/aws.ts starts in-process.
 */
import { closeOnShutdown } from '../common/parent-watchdog.js';
import { startDynamo, startS3 } from './components/aws.js';
import type { ComponentContext } from './components/component.js';

interface AwsServerOptions {
  readonly host: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly port: number;
  /** S3 only. */
  readonly bucket?: string;
  /** DynamoDB only. */
  readonly tablePrefix?: string;
  readonly region: string;
}

const [kind, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}') as AwsServerOptions;
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
const ctx: ComponentContext = { ...options, report: log };
const server =
  kind === 's3'
    ? await startS3(ctx, { port: options.port, bucket: options.bucket ?? '', region: options.region })
    : await startDynamo(ctx, {
        port: options.port,
        tablePrefix: options.tablePrefix ?? '',
        region: options.region,
      });
log(`${kind} up on ${options.host}:${options.port}`);
closeOnShutdown({ info: (obj, msg) => log(`${msg} ${JSON.stringify(obj)}`) }, kind ?? 'aws', () =>
  server.stop(),
);
