/**
 * The tenant workflow's message handlers (tenant-workflow.ts sets them before
 * its loop). Each records a request or a fact in TenantState and returns;
 * the loop's phases act on it. Validators reject bad updates before they
 * enter history; signals cannot be rejected, so their payloads are checked
 * here and ignored when malformed.
 */
import { ApplicationFailure, condition, log, patched, setHandler } from '@temporalio/workflow';
import { slow, store, step } from './activity-proxies.js';
import {
  ANY_POD,
  configureUpdate,
  deliverSignal,
  describeQuery,
  DISK_FULL_REASON,
  diskFullSignal,
  offboardUpdate,
  podLostSignal,
  quotaHitLine,
  quotaHitSignal,
  REJECTED_ERROR_TYPE,
  restoreSnapshotUpdate,
  resumeUpdate,
  SLEEP_MODES,
  sleepNowSignal,
  suspendUpdate,
  touchSignal,
  wakeUpdate,
} from './shared.js';
import type { PausedTier } from './paused-tier.js';
import type { TenantState } from './tenant-state.js';
import type { ConfigurePatch, OffboardPlan, OffboardRequest, SnapshotRestore, TenantPhase } from './types.js';
import {
  checkConfigurePatch,
  checkOffboardRequest,
  checkPhase,
  checkReason,
  checkSnapshotSeq,
} from './validation.js';

const DAY_MS = 86_400_000;
/** Histories from before a sleep had a mode (shared.ts, SleepMode) read a plain sleepNow as a capacity eviction. */
const SLEEP_MODES_PATCH = 'sleep-modes';

function reject(problems: string[]): void {
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), REJECTED_ERROR_TYPE);
}

/** The query and the signals: facts and requests the loop reads when it next looks. */
export function setSignalHandlers(state: TenantState, life: PausedTier): void {
  const d = state.data;
  setHandler(describeQuery, () => state.describe());

  setHandler(deliverSignal, (envelope) => {
    const result = state.accept(envelope);
    if (result !== 'buffered')
      log.warn('message not buffered', { tenantId: d.tenantId, dedupeId: envelope.dedupeId, result });
    life.publishDetails();
  });
  setHandler(touchSignal, () => state.touch(Date.now()));
  setHandler(sleepNowSignal, (reason, mode) => {
    if (d.phase !== 'waking' && d.phase !== 'running' && d.phase !== 'paused') return;
    // Histories from before the modes knew only the capacity eviction's sleep, honoured only while idle.
    const given = SLEEP_MODES.find((known) => known === mode); // a signal's payload is unchecked
    state.requestSleep(given ?? (patched(SLEEP_MODES_PATCH) ? 'after-turn' : 'if-idle'));
    if (reason) d.reason = reason.slice(0, 500);
    life.publishDetails();
  });
  setHandler(quotaHitSignal, (hit) => {
    d.quotaHit = quotaHitLine(hit);
    life.publishDetails();
  });
  setHandler(podLostSignal, (podId, reason) => {
    // Only the current pod counts: a late report about an older generation is ignored.
    const current = d.generation > 0 ? `${d.tenantId}-${d.generation}` : null;
    if (
      (podId === current || podId === ANY_POD) &&
      ['waking', 'running', 'draining', 'paused'].includes(d.phase)
    )
      d.lostReason = reason || 'pod lost';
  });

  setHandler(diskFullSignal, (podId, detail) => {
    // Only the current pod's disk: a late report about an older generation is ignored.
    if (d.generation === 0 || podId !== `${d.tenantId}-${d.generation}`) return;
    if (detail) d.reason = `${DISK_FULL_REASON}: ${detail}`.slice(0, 500);
    else if (d.reason?.startsWith(DISK_FULL_REASON)) d.reason = null;
    life.publishDetails();
  });
}

/**
 * The updates, each answered once the loop has acted on its request. Returns
 * the settings' version, which moves with every configure (the running phase
 * wakes up to apply it).
 */
export function setUpdateHandlers(state: TenantState, life: PausedTier): () => number {
  const d = state.data;
  let settingsVersion = 0;

  const ended =
    (...phases: TenantPhase[]) =>
    () =>
      phases.includes(d.phase);

  setHandler(
    wakeUpdate,
    async () => {
      if (d.phase !== 'running') d.requests.wake = true;
      await condition(ended('running', 'suspended', 'failed', 'offboarding', 'deleted'));
      if (d.phase !== 'running' || !d.pod) reject([`tenant is ${d.phase}${d.reason ? `: ${d.reason}` : ''}`]);
      return d.pod!;
    },
    { validator: () => reject(checkPhase('wake', d.phase)) },
  );

  setHandler(
    suspendUpdate,
    async (reason) => {
      d.requests.suspend = reason;
      await life.syncRegistryStatus(); // 'suspended' now: the router refuses new messages while the drain runs
      await condition(ended('suspended', 'offboarding', 'deleted'));
      return d.phase;
    },
    { validator: (reason: string) => reject([...checkReason(reason), ...checkPhase('suspend', d.phase)]) },
  );

  setHandler(
    resumeUpdate,
    async () => {
      d.requests.resume = true;
      await condition(() => !d.requests.resume);
      await life.syncRegistryStatus(); // callers expect the router to take traffic again when this returns
      return d.phase;
    },
    { validator: () => reject(checkPhase('resume', d.phase)) },
  );

  setHandler(
    configureUpdate,
    (patch) => {
      d.settings = { ...d.settings, ...patch };
      settingsVersion += 1;
      life.publishAttributes(); // tier and version are search attributes
      return d.settings;
    },
    {
      validator: (patch: ConfigurePatch) =>
        reject([...checkConfigurePatch(patch), ...checkPhase('configure', d.phase)]),
    },
  );

  setHandler(
    restoreSnapshotUpdate,
    async (seq): Promise<SnapshotRestore> => {
      life.holdWakes += 1; // a wake now would restore the older state, and its snapshots would bury this one
      try {
        const manifest = await step(slow.restoreSnapshot, `restore snapshot ${seq} as the newest`, {
          tenantId: d.tenantId,
          seq,
        });
        state.recordSnapshot(manifest);
        life.publishDetails();
        return { tenantId: d.tenantId, restoredFrom: seq, newSeq: manifest.seq, phase: d.phase };
      } finally {
        life.holdWakes -= 1;
      }
    },
    {
      validator: (seq: number) =>
        reject([...checkSnapshotSeq(seq), ...checkPhase('restore a snapshot of', d.phase)]),
    },
  );

  setHandler(
    offboardUpdate,
    async ({ graceDays = 30, dryRun = false }): Promise<OffboardPlan> => {
      // Inventory first: with a zero-day grace the data may be gone right after the drain.
      const inventory = await step(
        store.inventoryTenant,
        dryRun ? 'offboard dry run: list tenant data' : 'list tenant data to delete',
        { tenantId: d.tenantId },
      );
      if (!dryRun) {
        d.requests.offboard = { graceDays };
        await condition(ended('offboarding', 'deleted'));
        await life.syncRegistryStatus();
      }
      const deleteAfterMs = dryRun ? Date.now() + graceDays * DAY_MS : (d.deleteAfterMs ?? Date.now());
      return {
        tenantId: d.tenantId,
        dryRun,
        deleteAfter: new Date(deleteAfterMs).toISOString(),
        ...inventory,
      };
    },
    {
      validator: (request: OffboardRequest) =>
        reject([...checkOffboardRequest(request), ...checkPhase('offboard', d.phase)]),
    },
  );

  return () => settingsVersion;
}
