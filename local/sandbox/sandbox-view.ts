/**
 * What operators see of a local tenant's sandbox (`clawfleet tenant get`,
 * the admin API): the runtime writes the facts of each sandbox it runs to
 * `<dataDir>/sandboxes/tenants/<tenantId>.json` (root's, outside the
 * tenant's dir), and the admin API, on the same host like it is for the
 * tenant logs, reads them with the cgroup's memory in use now.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidTenantId } from '../../common/ids.js';
import type { SandboxLimits } from './limits.js';

export interface SandboxFacts {
  readonly uid: number;
  readonly limits: SandboxLimits;
  /** The memory cgroup's directory, for the memory in use now. */
  readonly memoryCgroup: string;
}

export interface SandboxView {
  /** `off`: the runtime runs tenants unsandboxed (CLAWFLEET_LOCAL_SANDBOX=off). */
  readonly mode: 'on' | 'off';
  /** The rest is null while the tenant is not awake (or the sandbox is off). */
  readonly uid: number | null;
  readonly limits: SandboxLimits | null;
  readonly memoryBytes: number | null;
}

const factsFile = (dataDir: string, tenantId: string) =>
  join(dataDir, 'sandboxes', 'tenants', `${tenantId}.json`);

export async function writeSandboxFacts(
  dataDir: string,
  tenantId: string,
  facts: SandboxFacts,
): Promise<void> {
  await mkdir(join(dataDir, 'sandboxes', 'tenants'), { recursive: true, mode: 0o700 });
  await writeFile(factsFile(dataDir, tenantId), JSON.stringify(facts), { mode: 0o600 });
}

/** The pod's isolation in one line (PodHandle.isolation): its sandbox, or that it has none. */
export function isolationLine(facts: SandboxFacts | null): string {
  if (!facts)
    return "NO sandbox: runs as the worker's user on the host's network (CLAWFLEET_LOCAL_SANDBOX=off)";
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  const { limits } = facts;
  return `sandbox uid ${facts.uid}: memory ${mib(limits.memoryMaxBytes)} MiB, ${limits.cpuMilliCores / 1000} cores, ${limits.pidsMax} pids, disk ${mib(limits.diskBytes)} MiB`;
}

export async function removeSandboxFacts(dataDir: string, tenantId: string): Promise<void> {
  await rm(factsFile(dataDir, tenantId), { force: true });
}

export async function readSandboxView(
  dataDir: string,
  tenantId: string,
  mode: SandboxView['mode'],
): Promise<SandboxView> {
  const none = { mode, uid: null, limits: null, memoryBytes: null };
  if (mode === 'off' || !isValidTenantId(tenantId)) return none;
  const text = await readFile(factsFile(dataDir, tenantId), 'utf8').catch(() => null);
  if (text === null) return none;
  const facts = JSON.parse(text) as SandboxFacts;
  const usage = await readFile(join(facts.memoryCgroup, 'memory.usage_in_bytes'), 'utf8').catch(() => null);
  return {
    mode,
    uid: facts.uid,
    limits: facts.limits,
    memoryBytes: usage === null ? null : Number(usage.trim()),
  };
}
