/**
 * Model gateway entry point: its own process, listening on the gateway
 * address for tenants (`CLAWFLEET_GATEWAY_HOST:PORT`) and on the router host
 * for Prometheus (`CLAWFLEET_GATEWAY_METRICS_PORT`); never on the public
 * listener. It holds the master key and the platform provider keys, so it
 * runs with the control plane, not with the router.
 */
import { Client, Connection } from '@temporalio/client';
import { serveMetrics } from '../common/metrics.js';
import { createDynamoClient } from '../common/aws-clients.js';
import { loadConfig, masterKeyPath } from '../common/config.js';
import { FileMasterKey } from '../common/crypto.js';
import { createRootLogger } from '../common/logger.js';
import { closeOnShutdown } from '../common/parent-watchdog.js';
import { createDocumentClient } from '../registry/document-client.js';
import { DynamoSecretStore } from '../registry/secret-store.js';
import { tableNames } from '../registry/tables.js';
import { hotPathRedis } from '../router/wiring.js';
import { buildGatewayApp } from './app.js';
import { wireGateway } from './wiring.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger({ level: config.common.logLevel, name: 'gateway' });
  const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: false });
  const redis = hotPathRedis(config.redis.url);
  await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'redis unavailable at start'));
  const dynamo = createDynamoClient(config);
  const doc = createDocumentClient(dynamo);
  const tables = tableNames(config.aws.tablePrefix);
  const secrets = new DynamoSecretStore({ doc, tables, masterKey });
  // Lazy: the gateway serves tenants without Temporal; only the live quota-hit view waits for it.
  const temporal = new Client({
    connection: Connection.lazy({ address: config.temporal.address }),
    namespace: config.temporal.namespace,
  });
  const gateway = wireGateway({ redis, doc, tables, secrets, settings: config, logger, temporal });
  const { services } = gateway;
  const app = buildGatewayApp(services);
  await app.listen({ host: config.gateway.host, port: config.gateway.port });
  const metricsListener = await serveMetrics(services.metrics.registry, {
    host: config.router.host,
    port: config.gateway.metricsPort,
  });

  closeOnShutdown(logger, 'gateway', async () => {
    await app.close(); // in-flight streams finish and their usage is written
    await metricsListener.close();
    await gateway.close();
    redis.disconnect();
    dynamo.destroy();
    await temporal.connection.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
