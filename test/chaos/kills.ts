/**
 * What the chaos run kills and how it finds each victim's pid: the stack's own
 * processes by command line, a tenant's supervisor from its pod record, and
 * the tenant's OpenClaw gateway among the supervisor's descendants. Every kill
 * is a SIGKILL; nothing is told in advance.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stack } from '../../dev/stack.js';
import { descendantsOf, isAlive } from '../helpers/processes.js';
import type { Random } from './seeded.js';

export const KILL_KINDS = [
  'router',
  'worker',
  'supervisor',
  'gateway',
  'redis',
  'temporal',
  's3',
  'dynamodb',
] as const;
export type KillKind = (typeof KILL_KINDS)[number];

/** Kinds that kill one tenant's processes (the others are shared by every tenant). */
export const TENANT_KINDS: readonly KillKind[] = ['supervisor', 'gateway'];

/** How each shared component's process is recognised in `/proc/<pid>/cmdline`. */
const MARKERS: Record<Exclude<KillKind, 'supervisor' | 'gateway'>, (cmdline: string) => boolean> = {
  router: (c) => c.includes('router/server'),
  worker: (c) => c.includes('worker/main'),
  redis: (c) => c.includes('redis-server'),
  temporal: (c) => c.includes('start-dev'),
  s3: (c) => c.includes('aws-server') && c.includes(' s3 '),
  dynamodb: (c) => c.includes('aws-server') && c.includes(' dynamodb '),
};

export interface PlannedKill {
  /** When, after the traffic starts. */
  readonly atMs: number;
  readonly kind: KillKind;
  /** Index of the tenant whose processes die (supervisor, gateway) or whose messages probe recovery. */
  readonly tenant: number;
}

const cmdlineOf = (pid: number) =>
  readFile(`/proc/${pid}/cmdline`, 'utf8')
    .then((c) => c.replaceAll('\0', ' '))
    .catch(() => '');

export async function supervisorPid(stack: Stack, tenantId: string): Promise<number | undefined> {
  const pod = await readFile(join(stack.dataDir, 'tenants', tenantId, 'pod.json'), 'utf8').catch(() => '');
  const pid = pod ? (JSON.parse(pod) as { pid?: number }).pid : undefined;
  return pid && isAlive(pid) ? pid : undefined;
}

/**
 * The gateway process itself: titled `openclaw-gateway` once it runs, and
 * `openclaw.mjs gateway run` before it sets its title. Not any process whose
 * command line names openclaw: the sandbox's bwrap binds the install by path
 * (killing it ends the whole tenant: a supervisor kill, not a gateway kill),
 * and the gateway's helpers (spawn broker, sqlite worker) run from it too.
 */
const isGateway = (cmdline: string) =>
  cmdline.startsWith('openclaw-gateway') || cmdline.includes('openclaw.mjs gateway run');

/** Every gateway process under the tenant's supervisor (one, or none between lives). */
async function gatewayPids(stack: Stack, tenantId: string): Promise<number[]> {
  const supervisor = await supervisorPid(stack, tenantId);
  if (!supervisor) return [];
  const all = await descendantsOf(supervisor);
  const found = await Promise.all(all.map(async (pid) => (isGateway(await cmdlineOf(pid)) ? pid : 0)));
  return found.filter((pid) => pid > 0);
}

/** The OpenClaw gateway of the tenant. */
export async function gatewayPid(stack: Stack, tenantId: string): Promise<number | undefined> {
  return (await gatewayPids(stack, tenantId))[0];
}

/**
 * Every process that could pass for `kind` now (none of them counts as back
 * after the kill): a gateway's helpers, and every router replica.
 */
export async function victimPids(stack: Stack, kind: KillKind, tenantId: string): Promise<number[]> {
  if (kind === 'gateway') return gatewayPids(stack, tenantId);
  if (kind === 'supervisor') return [await supervisorPid(stack, tenantId)].filter((p): p is number => !!p);
  const pids: number[] = [];
  for (const pid of stack.pids()) if (MARKERS[kind](await cmdlineOf(pid))) pids.push(pid);
  return pids;
}

/** The pid a kill of `kind` would hit now, if that process is running. */
export async function victimPid(stack: Stack, kind: KillKind, tenantId: string): Promise<number | undefined> {
  if (kind === 'supervisor') return supervisorPid(stack, tenantId);
  if (kind === 'gateway') return gatewayPid(stack, tenantId);
  for (const pid of stack.pids()) if (MARKERS[kind](await cmdlineOf(pid))) return pid;
  return undefined;
}

/**
 * The kill schedule for a run: every kind once (in a seeded order), then
 * more drawn at random (only `kinds` when given: one failure studied alone),
 * spread over `spanMs` with seeded jitter.
 * Gateway and supervisor kills rotate over the tenants so that no tenant's
 * gateway boots uncleanly more than twice in five minutes (OpenClaw stops
 * starting its channels after three, FACTS.md).
 */
export function planKills(
  random: Random,
  options: { kills: number; tenants: number; spanMs: number; kinds?: readonly KillKind[] },
) {
  const pool = options.kinds?.length ? options.kinds : KILL_KINDS;
  const kinds: KillKind[] = [...pool].sort(() => random.next() - 0.5).slice(0, options.kills);
  while (kinds.length < options.kills) kinds.push(random.pick(pool));
  const slot = options.spanMs / kinds.length;
  const tenantKills: number[][] = Array.from({ length: options.tenants }, () => []);
  return kinds.map((kind, i): PlannedKill => {
    const atMs = Math.round(slot * i + slot * (0.3 + 0.4 * random.next()));
    let tenant = random.below(options.tenants);
    if (TENANT_KINDS.includes(kind)) {
      // The tenant with the fewest recent unclean boots takes it.
      const recent = (t: number) => tenantKills[t]!.filter((at) => at > atMs - 300_000).length;
      tenant = [...tenantKills.keys()].sort((a, b) => recent(a) - recent(b))[0]!;
      tenantKills[tenant]!.push(atMs);
    }
    return { atMs, kind, tenant };
  });
}
