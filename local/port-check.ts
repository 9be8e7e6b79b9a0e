import { createServer } from 'node:net';
import type { Placement } from '../runtime/launch-plan.js';

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * True when the slot's three ports are free on its address and on 127.0.0.1
 * (OpenClaw listens on both), so a stray process cannot make a launch fail.
 */
export async function portsAreFree(placement: Placement): Promise<boolean> {
  const ports = [placement.supervisorPort, placement.gatewayPort, placement.webhookPort];
  const hosts = placement.host === '127.0.0.1' ? ['127.0.0.1'] : [placement.host, '127.0.0.1'];
  for (const host of hosts) for (const port of ports) if (!(await portIsFree(host, port))) return false;
  return true;
}
