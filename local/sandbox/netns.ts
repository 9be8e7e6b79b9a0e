/**
 * A sandbox's network namespace, named and owned by the host (`ip netns`),
 * so nothing inside can change its interfaces or routes. It has a loopback
 * device and nothing else: no interface, no route leads out. What the tenant
 * reaches outside comes through the egress sockets (egress.ts), and the
 * router reaches the supervisor through the listening socket the launcher
 * opens on the host and hands in (launcher.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/** Creates the namespace once (loopback up; unprivileged ports from 0, so an egress forwarder may bind :443). */
export async function ensureNetns(name: string): Promise<void> {
  if (existsSync(netnsPath(name))) return;
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  const sysctl = 'echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start'; // /proc/sys/net is the writer's netns
  await run('ip', ['netns', 'exec', name, 'sh', '-c', sysctl]);
}

/** Lets a forwarder inside bind a non-loopback address (an allowlisted destination given by its IP). */
export async function addLocalAddress(name: string, address: string): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'exec', name, 'ip', '-o', 'addr', 'show', 'dev', 'lo']);
  if (!stdout.includes(` ${address}/`))
    await run('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${address}/32`, 'dev', 'lo']);
}

export async function removeNetns(name: string): Promise<void> {
  if (existsSync(netnsPath(name))) await run('ip', ['netns', 'del', name]).catch(() => undefined);
}
