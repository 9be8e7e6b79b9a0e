/**
 * The dev stack's ports: the declared defaults (`clawfleet dev`), "any free
 * port" for tests and benchmarks beside other stacks, and the check that a
 * wanted port is free before anything starts on it.
 */
import { StackError } from './stack-error.js';
import { freePort, portIsFree } from './ports.js';

export interface StackPorts {
  temporal: number;
  ui: number;
  redis: number;
  s3: number;
  dynamodb: number;
  router: number;
  admin: number;
  /** The model gateway (tenants' model provider) and its Prometheus listener. */
  gateway: number;
  gatewayMetrics: number;
  /** The worker's Prometheus listener. */
  workerMetrics: number;
}

/** Every port picked by the system: for tests and benchmarks that run beside other stacks. */
export const ANY_PORTS: StackPorts = {
  temporal: 0,
  ui: 0,
  redis: 0,
  s3: 0,
  dynamodb: 0,
  router: 0,
  admin: 0,
  gateway: 0,
  gatewayMetrics: 0,
  workerMetrics: 0,
};

/** Declared defaults; 0 means "any free port". */
export const DEFAULT_PORTS: StackPorts = {
  temporal: 7233,
  ui: 8233,
  redis: 6390,
  s3: 4569,
  dynamodb: 4567,
  router: 8080,
  admin: 8081,
  gateway: 8082,
  gatewayMetrics: 8083,
  workerMetrics: 8084,
};

/** Every 0 replaced by a free port; a fixed port that is taken is refused with the flag that moves it. */
export async function resolvePorts(host: string, wanted: StackPorts): Promise<StackPorts> {
  const result = { ...wanted };
  for (const [name, port] of Object.entries(wanted) as [keyof StackPorts, number][]) {
    if (port === 0) result[name] = await freePort(host);
    else if (!(await portIsFree(port, host)))
      throw new StackError(
        `port ${port} (${name}) on ${host} is in use; pass --${name}-port <n> (0 = any free port)`,
      );
  }
  return result;
}
