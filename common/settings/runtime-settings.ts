/**
 * Settings of the runtimes that run tenants: what every runtime shares, the
 * local runtime (its slots, sandboxes and their limits), and the Kubernetes
 * runtime (its pods and warm pool).
 * One group of common/config.ts's SETTINGS each: `env` names the variable,
 * `description` feeds the README table.
 */
import Type from 'typebox';
import { BYTES, CORES, Duration, INTEGER, TierValues } from './setting-kinds.js';

/** Which runtime runs tenants, and what every runtime shares. */
export const RUNTIME_SETTINGS = {
  kind: {
    env: 'CLAWFLEET_RUNTIME',
    schema: Type.Union([Type.Literal('local'), Type.Literal('k8s')], {
      default: 'local',
      description: 'Where tenant agents run: `local` processes on this host, or `k8s` Kata pods.',
    }),
  },
  stopGrace: {
    env: 'CLAWFLEET_STOP_GRACE',
    schema: Duration(
      '30s',
      "A tenant's time to stop OpenClaw and take its final snapshot; every stop deadline derives from it (common/grace.ts: supervisor drain, OpenClaw's own drain, the runtime's wait, Kubernetes terminationGracePeriodSeconds).",
    ),
  },
  deepSleepAfter: {
    env: 'CLAWFLEET_DEEP_SLEEP_AFTER',
    schema: Duration(
      '30m',
      'The paused tier: an idle tenant takes its final snapshot, then stays frozen in memory (no CPU, resumed in milliseconds by the next message) this long before it sleeps fully; a full host evicts paused tenants first. `0s` turns pausing off (idle tenants sleep at once); the Kubernetes runtime never pauses.',
    ),
  },
  // Memory per awake tenant (issue 15): the recycle limit; the per-tier V8 settings are in runtime/tier-memory.ts.
  recycleRssMb: {
    env: 'CLAWFLEET_RECYCLE_RSS_MB',
    schema: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        "Summed RSS (MiB) of a tenant's supervisor and OpenClaw over which an idle tenant is recycled: stopped after its final snapshot instead of paused, relaunched fresh at its next message, the reason shown in `tenant get` and the Web UI. 0 means each tier's own limit (runtime/tier-memory.ts: 1536 free, 1792 standard, 2304 pro).",
    }),
  },
  snapshotRetention: {
    env: 'CLAWFLEET_SNAPSHOT_RETENTION',
    schema: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 5,
      description:
        "Complete snapshots kept per tenant; older ones are pruned after each recorded snapshot (the registry's newest is never pruned).",
    }),
  },
} as const;

/** The local runtime (`local/`). */
export const LOCAL_SETTINGS = {
  maxTenants: {
    env: 'CLAWFLEET_LOCAL_MAX_TENANTS',
    schema: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Local runtime: most tenants awake at once; 0 means one per measured awake-tenant budget (runtime/capacity-gate.ts, from `npm run bench:memory`) of memory available at start (at least 1).',
    }),
  },
  warmSupervisors: {
    env: 'CLAWFLEET_LOCAL_WARM_SUPERVISORS',
    schema: Type.Integer({
      minimum: 0,
      maximum: 8,
      default: 1,
      description:
        'Local runtime: idle supervisor processes kept started for the next cold wakes (with the sandbox on: pre-built slot sandboxes, each with its idle supervisor inside); 0 starts every supervisor at its wake.',
    }),
  },
  capacityWait: {
    env: 'CLAWFLEET_LOCAL_CAPACITY_WAIT',
    schema: Duration(
      '10s',
      'Local runtime: how long a wake waits for a free place before its workflow asks the least recently active idle tenant to sleep.',
    ),
  },
  adoptWindow: {
    env: 'CLAWFLEET_LOCAL_ADOPT_WINDOW',
    schema: Duration(
      '60s',
      'Local runtime: how long tenant supervisors keep serving without a worker (a crash, a kill, a deploy); a worker started within it adopts them, awake, and after it they drain themselves.',
    ),
  },
  sandbox: {
    env: 'CLAWFLEET_LOCAL_SANDBOX',
    schema: Type.Union([Type.Literal('on'), Type.Literal('off')], {
      default: 'on',
      description:
        "Local runtime: `on` runs every tenant in its own sandbox (own uid, namespaces, mount view, network namespace whose only egress is the model gateway, the Telegram Bot API and the snapshot store, cgroup limits per tier; docs/security.md); the runtime refuses to launch when a primitive is missing. `off` runs tenants as the worker's user on the host's network, shown in the `clawfleet dev` status table and in `tenant get`.",
    }),
  },
  sandboxUidBase: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_UID_BASE',
    schema: Type.Integer({
      minimum: 1000,
      maximum: 2_000_000_000,
      default: 200_000,
      description:
        'Local runtime: slot n of the sandbox runs as uid and gid base+n (253 slots); pick a range no host account uses.',
    }),
  },
  sandboxEgressAllow: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_EGRESS_ALLOW',
    schema: Type.String({
      default: '',
      description:
        'Local runtime: comma-separated `host:port` egress destinations a sandboxed tenant may reach although they are loopback, private or link-local addresses (a model gateway or snapshot store on this host, local fakes); any other such destination is refused.',
    }),
  },
  sandboxMemoryMax: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_MEMORY_MAX',
    schema: TierValues(
      BYTES,
      'free=2GiB,standard=2560MiB,pro=3GiB',
      "Local runtime, sandbox on: each tier's hard memory limit (swap included; `KiB`, `MiB`, `GiB`, or bytes); past it the kernel kills inside the tenant only and the workflow hears `podLost` `out-of-memory`. OpenClaw alone takes about 1 GB idle (docs/security.md). A tier not named keeps its default.",
    ),
  },
  sandboxMemoryHigh: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_MEMORY_HIGH',
    schema: TierValues(
      BYTES,
      'free=1792MiB,standard=2GiB,pro=2560MiB',
      "Local runtime, sandbox on: each tier's soft memory limit (reclaimed first above it when the host is short); at most its hard limit.",
    ),
  },
  sandboxCpu: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_CPU',
    schema: TierValues(
      CORES,
      'free=1,standard=1.5,pro=2',
      "Local runtime, sandbox on: each tier's CPU ceiling in cores (a CFS quota, at least 0.1).",
    ),
  },
  sandboxCpuShares: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_CPU_SHARES',
    schema: TierValues(
      INTEGER,
      'free=1024,standard=2048,pro=4096',
      "Local runtime, sandbox on: each tier's CPU weight when the CPU is contended (cgroup v1 `cpu.shares`; a host process weighs 1024).",
    ),
  },
  sandboxPids: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_PIDS',
    schema: TierValues(
      INTEGER,
      'free=256,standard=384,pro=512',
      "Local runtime, sandbox on: each tier's most processes and threads (`pids.max`; the supervisor and OpenClaw run about 80).",
    ),
  },
  sandboxDisk: {
    env: 'CLAWFLEET_LOCAL_SANDBOX_DISK',
    schema: TierValues(
      BYTES,
      'free=1GiB,standard=2GiB,pro=5GiB',
      "Local runtime, sandbox on: each tier's disk budget, the size of the filesystem a tenant's dir is while awake (state, workspace, tmp, logs; at least 32MiB); writing past it fails with ENOSPC inside the tenant. A tenant whose budget changed gets a new image at its next wake (its state comes from its snapshot).",
    ),
  },
  portBase: {
    env: 'CLAWFLEET_LOCAL_PORT_BASE',
    schema: Type.Integer({
      minimum: 1024,
      maximum: 60000,
      default: 20000,
      description:
        'Local runtime: tenant slot n listens on 127.0.0.(n+2) with ports base+4n (supervisor), +1 (gateway), +2 (Telegram webhook).',
    }),
  },
} as const;

/** The Kubernetes runtime (`k8s/`). */
export const K8S_SETTINGS = {
  namespace: {
    env: 'CLAWFLEET_K8S_NAMESPACE',
    schema: Type.String({
      default: 'clawfleet-tenants',
      pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
      description: 'Kubernetes runtime: namespace of tenant pods, their Secrets, NetworkPolicy and quota.',
    }),
  },
  agentImage: {
    env: 'CLAWFLEET_K8S_AGENT_IMAGE',
    schema: Type.String({
      default: 'ghcr.io/clawfleet/agent:0.1.0',
      description: 'Kubernetes runtime: agent image (Node 24, pinned OpenClaw, the pod supervisor).',
    }),
  },
  runtimeClass: {
    env: 'CLAWFLEET_K8S_RUNTIME_CLASS',
    schema: Type.String({
      default: 'kata-qemu',
      description: 'Kubernetes runtime: RuntimeClass of tenant pods; empty runs plain runc (no microVM).',
    }),
  },
  priorityClass: {
    env: 'CLAWFLEET_K8S_PRIORITY_CLASS',
    schema: Type.String({
      default: 'clawfleet-tenant',
      description: 'Kubernetes runtime: PriorityClass of tenant pods.',
    }),
  },
  warmPriorityClass: {
    env: 'CLAWFLEET_K8S_WARM_PRIORITY_CLASS',
    schema: Type.String({
      default: 'clawfleet-warm',
      description: 'Kubernetes runtime: lower PriorityClass of unclaimed warm pods (tenants preempt them).',
    }),
  },
  nodeSelector: {
    env: 'CLAWFLEET_K8S_NODE_SELECTOR',
    schema: Type.String({
      default: 'katacontainers.io/kata-runtime=true',
      description: 'Kubernetes runtime: node selector of tenant pods, `key=value,...`.',
    }),
  },
  tolerations: {
    env: 'CLAWFLEET_K8S_TOLERATIONS',
    schema: Type.String({
      default: 'clawfleet.io/tenants:NoSchedule',
      description: 'Kubernetes runtime: tolerations of tenant pods, `key[=value]:Effect,...`.',
    }),
  },
  warmPool: {
    env: 'CLAWFLEET_K8S_WARM_POOL',
    schema: Type.String({
      default: '',
      description: 'Kubernetes runtime: warm pods kept per tier, e.g. `standard=2,pro=1`; empty means none.',
    }),
  },
} as const;
