/**
 * What a worker's launch planner produces for a local pod, pointed at the
 * stand-in OpenClaw (test/supervisor/stand-in-openclaw.mjs): real supervisors
 * saving real snapshots through real grants, without OpenClaw's start-up cost.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import type { PodSpec } from '../../activities/ports.js';
import type { Salvage } from '../../local/local-runtime.js';
import type { LaunchPlan, Placement } from '../../runtime/launch-plan.js';
import { StateSync } from '../../supervisor/state-sync.js';
import type { SupervisorSpec } from '../../supervisor/supervisor-config.js';
import type { TestGrants } from '../helpers/snapshot-grants.js';

const STAND_IN = join(import.meta.dirname, '..', 'supervisor', 'stand-in-openclaw.mjs');

export function standInPlan(grants: TestGrants) {
  return async (pod: PodSpec, placement: Placement, rootDir: string): Promise<LaunchPlan> => {
    const spec: SupervisorSpec = {
      tenantId: pod.tenantId,
      listen: { host: placement.host, port: placement.supervisorPort },
      gateway: { host: placement.host, port: placement.gatewayPort },
      rootDir,
      openclaw: { version: pod.openclawVersion, node: process.execPath, entry: STAND_IN },
      provider: { name: 'fake', baseUrl: 'http://127.0.0.1:1/v1', modelId: 'fake-model' },
      snapshots: pod.snapshotSeq !== null ? { latestSeq: pod.snapshotSeq } : {},
      crashLoop: { maxCrashes: 3, windowMs: 60_000, backoffMs: 300 },
      readyTimeoutMs: 20_000,
      shutdownGraceMs: 10_000,
      snapshotReserveMs: 3_000,
      logLevel: 'info',
    };
    const secrets = {
      supervisorToken: randomBytes(24).toString('hex'),
      gatewayToken: randomBytes(24).toString('hex'),
      modelToken: 'unused',
      snapshotGrant: await grants.issue(pod.tenantId, pod.snapshotSeq ?? undefined),
    };
    return { spec, secrets };
  };
}

/** A spec of generation `generation` of `tenantId` on the stand-in. */
export function standInSpec(tenantId: string, generation: number): PodSpec {
  return {
    tenantId,
    podId: `${tenantId}-${generation}`,
    tier: 'standard',
    openclawVersion: 'stand-in',
    snapshotSeq: null,
    secretRef: tenantId,
  };
}

/** The worker's salvage (worker/local-runtime-wiring.ts) over the test store, recording each call. */
export function recordingSalvage(grants: TestGrants, calls: string[]): Salvage {
  return async (tenantId, rootDir, openclawVersion) => {
    calls.push(tenantId);
    const sync = new StateSync({
      store: grants.store,
      tenantId,
      stateDir: join(rootDir, 'state'),
      workDir: join(rootDir, 'work'),
      openclawVersion,
      logger: pino({ level: 'silent' }),
    });
    return sync.snapshotStopped();
  };
}
