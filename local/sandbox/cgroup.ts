/**
 * One sandbox's cgroups on the v1 hierarchies this host kind has
 * (/sys/fs/cgroup/{memory,cpu,pids}; the unified v2 mount holds no
 * controllers, FACTS.md): created with the tier's limits before the sandbox
 * starts, read for `tenant get` (memory now, OOM kills), and the way to kill
 * every process of the sandbox, whatever session or namespace it moved to.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { balanceParentWeight } from './cpu-weight.js';
import type { SandboxLimits } from './limits.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
/**
 * The quota's period. A group that spends its quota early waits for the next period, so the period bounds that
 * stall: at 100 ms (the kernel's default) the quota added ~440 ms to a pre-built sandbox's start under load, at
 * 10 ms nothing measurable (bench:sandbox (b) vs (b1), docs/benchmarks.md).
 */
const CFS_PERIOD_US = 10_000;

export class SandboxCgroup {
  /** OOM kills counted before this sandbox (a group that could not be removed keeps its count). */
  private oomBaseline = 0;

  constructor(
    /** `clawfleet/<stack>-<slot>`, under every controller. */
    readonly name: string,
  ) {}

  dir(controller: (typeof CONTROLLERS)[number]): string {
    return join(CGROUP_ROOT, controller, this.name);
  }

  /** Creates the groups (empty: a leftover is killed first) and applies the limits. */
  async create(limits: SandboxLimits): Promise<void> {
    await this.remove(); // fresh groups: a leftover's limits (memsw >= limit) would refuse lower ones
    for (const controller of CONTROLLERS) await mkdir(this.dir(controller), { recursive: true });
    await this.applyLimits(limits);
    this.oomBaseline = await this.oomKillCount();
  }

  /** Sets the limits (again: a pre-built sandbox takes its claiming tenant's tier); each controller's at once. */
  async applyLimits(limits: SandboxLimits): Promise<void> {
    await Promise.all([
      this.applyMemory(limits),
      this.applyCpu(limits),
      writeFile(join(this.dir('pids'), 'pids.max'), String(limits.pidsMax)),
    ]);
  }

  private async applyMemory(limits: SandboxLimits): Promise<void> {
    const memory = this.dir('memory');
    const max = String(limits.memoryMaxBytes);
    const limit = join(memory, 'memory.limit_in_bytes');
    // Swap would let a tenant run past its limit at the host's expense. The kernel keeps memsw >= limit at
    // every step, so a raise writes memsw first and a cut the limit first.
    const memsw = join(memory, 'memory.memsw.limit_in_bytes');
    if (!existsSync(memsw)) await writeFile(limit, max);
    else
      await writeFile(limit, max).then(
        () => writeFile(memsw, max),
        () => writeFile(memsw, max).then(() => writeFile(limit, max)),
      );
    await writeFile(join(memory, 'memory.soft_limit_in_bytes'), String(limits.memoryHighBytes));
  }

  private async applyCpu(limits: SandboxLimits): Promise<void> {
    const cpu = this.dir('cpu');
    await writeFile(join(cpu, 'cpu.shares'), String(limits.cpuShares));
    await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
    await writeFile(
      join(cpu, 'cpu.cfs_quota_us'),
      String(Math.round((limits.cpuMilliCores / 1000) * CFS_PERIOD_US)),
    );
    await balanceParentWeight(dirname(cpu), basename(cpu));
  }

  /** The shell line that moves itself into every group before it execs the sandbox (children inherit). */
  enterCommand(): string {
    return CONTROLLERS.map((c) => `echo $$ > ${join(this.dir(c), 'cgroup.procs')}`).join(' && ');
  }

  /** Every process in any of the sandbox's groups. */
  async pids(): Promise<number[]> {
    const texts = await Promise.all(
      CONTROLLERS.map((c) => readFile(join(this.dir(c), 'cgroup.procs'), 'utf8').catch(() => '')),
    );
    return [...new Set(texts.flatMap((text) => text.split('\n').filter(Boolean).map(Number)))];
  }

  /** Bytes in use now (page cache included, as the kernel counts it against the limit), or null when gone. */
  async memoryBytes(): Promise<number | null> {
    const text = await readFile(join(this.dir('memory'), 'memory.usage_in_bytes'), 'utf8').catch(() => null);
    return text === null ? null : Number(text.trim());
  }

  /** How many processes the kernel's OOM killer ended in this group since it was created. */
  async oomKills(): Promise<number> {
    return (await this.oomKillCount()) - this.oomBaseline;
  }

  private async oomKillCount(): Promise<number> {
    const text = await readFile(join(this.dir('memory'), 'memory.oom_control'), 'utf8').catch(() => '');
    return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0);
  }

  /** SIGKILL every process in the sandbox until none is left (or 5 s passed). */
  async killAll(): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (let pids = await this.pids(); pids.length > 0 && Date.now() < deadline; pids = await this.pids()) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Removes the (empty) groups. */
  async remove(): Promise<void> {
    await this.killAll();
    for (const controller of CONTROLLERS) await rmdir(this.dir(controller)).catch(() => undefined);
    await balanceParentWeight(dirname(this.dir('cpu'))).catch(() => undefined); // a parent that is gone weighs nothing
  }
}
