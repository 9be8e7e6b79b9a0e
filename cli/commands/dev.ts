import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, withOverrides } from '../../common/config.js';
import { DEFAULT_PORTS, startStack, type StackPorts } from '../../dev/stack.js';
import { renderStatusTable } from '../../dev/status-table.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port number from 0 to 65535 (0 = any free port)');
  return n;
}

const PORT_FLAGS: [keyof StackPorts, string][] = [
  ['temporal', 'Temporal frontend gRPC port'],
  ['ui', 'Temporal Web UI port'],
  ['redis', 'redis-server port'],
  ['s3', 'S3 endpoint (s3rver) port'],
  ['dynamodb', 'DynamoDB endpoint (dynalite) port'],
  ['router', 'public router port'],
  ['admin', 'admin API port'],
  ['gateway', 'model gateway port (tenants call it)'],
  ['gatewayMetrics', 'model gateway metrics port'],
  ['workerMetrics', 'worker metrics port'],
];

function otlpUrl(value: string): string {
  try {
    if (/^https?:$/.test(new URL(value).protocol)) return value;
  } catch {
    // refused below
  }
  throw new InvalidArgumentError('an http(s) URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318');
}

export function devCommand(): Command {
  const command = new Command('dev')
    .description(
      'Start the whole system on embedded defaults: Temporal + Web UI, Redis, S3, DynamoDB, worker, router',
    )
    .option('--data-dir <dir>', 'where local state lives (Temporal SQLite, S3, DynamoDB, logs)', '.clawfleet')
    .option('--reset', 'delete the data dir first (all local tenants, snapshots and history)', false)
    .option(
      '--infra-only',
      'start Temporal, Redis, S3 and DynamoDB only (run the worker and router yourself)',
      false,
    )
    .option(
      '--offline',
      'run tenant agents against a local fake LLM and fake Telegram Bot API (no accounts, no internet)',
      false,
    )
    .option(
      '--otlp <url>',
      'export traces (router, worker, workflows, activities, supervisors) to this OTLP/HTTP collector; off by default',
      otlpUrl,
    );
  for (const [name, description] of PORT_FLAGS)
    command.option(
      `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-port <port>`,
      `${description} (0 = any free port)`,
      port,
      DEFAULT_PORTS[name],
    );

  command.action(async (flags: Record<string, unknown>) => {
    const base = loadConfig();
    const config = withOverrides(base, {
      common: { dataDir: String(flags['dataDir']) },
      ...(typeof flags['otlp'] === 'string' && {
        telemetry: { ...base.telemetry, otlpEndpoint: flags['otlp'] },
      }),
    });
    const ports = Object.fromEntries(
      PORT_FLAGS.map(([name]) => [name, flags[`${name}Port`] as number]),
    ) as unknown as StackPorts;
    const report = (line: string) => console.log(`• ${line}`);
    const started = Date.now();
    const stack = await startStack({
      config,
      ports,
      reset: Boolean(flags['reset']),
      apps: !flags['infraOnly'],
      offline: Boolean(flags['offline']),
      report,
    });
    console.log(
      `\nclawfleet dev stack is up in ${((Date.now() - started) / 1000).toFixed(1)} s (data in ${stack.dataDir})\n`,
    );
    console.log(renderStatusTable(stack.rows));
    console.log(`\nLogs: ${stack.dataDir}/logs/*.log. Press Ctrl-C to stop everything.`);

    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n• ${signal}: stopping the dev stack`);
      stack.stop().then(
        () => {
          console.log('• stopped cleanly');
          process.exit(0);
        },
        (error: unknown) => {
          console.error(`• stop failed: ${String(error)}`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return command;
}
