/**
 * `fleetUpgradeWorkflow` (id `fleet-upgrade-<rolloutId>`): moves the selected
 * tenants to one OpenClaw version in waves. Each wave's tenants get the
 * version for their next wake (sleeping tenants are not woken for it), the
 * wave is watched for `gate.observeMs`, and its health, read from the tenants'
 * own per-version records, decides: the next wave, a hold for lack of wakes,
 * or a rollback of this wave to each tenant's previous version and the end of
 * the rollout. Pause, resume and abort are updates. The activities act; this
 * file only decides (fleet-gate.ts holds the decisions as pure functions).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { FleetActivities } from '../activities/index.js';
import { step } from './activity-proxies.js';
import {
  abortUpgradeUpdate,
  DEFAULT_WAVES,
  FleetUpgradeStateAttr,
  FleetUpgradeWaveAttr,
  pauseUpgradeUpdate,
  resumeUpgradeUpdate,
  upgradeProgressQuery,
  type FleetUpgradeInput,
  type FleetUpgradeProgress,
  type FleetUpgradeState,
  type UpgradeTarget,
} from './fleet-contract.js';
import { checkUpgradeInput, judgeWave, resolveGate, waveEnds } from './fleet-gate.js';
import { OpenClawVersionAttr, PERMANENT_ERROR_TYPE, REJECTED_ERROR_TYPE } from './shared.js';

const fleet = proxyActivities<FleetActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [PERMANENT_ERROR_TYPE],
  },
});

const MAX_PINNED_LISTED = 1000;
const FINAL: readonly FleetUpgradeState[] = ['done', 'rolled-back', 'aborted'];

function reject(problems: string[]): void {
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(problems.join('; '), REJECTED_ERROR_TYPE);
}

export async function fleetUpgradeWorkflow(input: FleetUpgradeInput): Promise<FleetUpgradeProgress> {
  reject(checkUpgradeInput(input));
  const gate = resolveGate(input.gate);
  const target = input.targetVersion;
  let p: { -readonly [K in keyof FleetUpgradeProgress]: FleetUpgradeProgress[K] } = {
    rolloutId: input.rolloutId,
    targetVersion: target,
    state: 'selecting',
    wave: 0,
    waves: 0,
    selected: 0,
    upgraded: 0,
    rolledBack: 0,
    alreadyCurrent: 0,
    pinned: [],
    pinnedCount: 0,
    lastHealth: null,
    verdict: [],
    reason: null,
  };
  let paused = false;
  let aborted = false;

  const publish = (state: FleetUpgradeState = p.state) => {
    p = { ...p, state };
    upsertSearchAttributes([
      { key: FleetUpgradeStateAttr, value: state },
      { key: FleetUpgradeWaveAttr, value: p.wave },
      { key: OpenClawVersionAttr, value: target },
    ]);
    const health = p.lastHealth;
    setCurrentDetails(
      [
        `**Fleet upgrade** \`${p.rolloutId}\` to OpenClaw ${target} · **${state}** · wave ${p.wave}/${p.waves}`,
        `- tenants: ${p.selected} selected, ${p.upgraded} upgraded, ${p.rolledBack} rolled back, ${p.alreadyCurrent} already current, ${p.pinnedCount} pinned (skipped)`,
        health
          ? `- last wave: ${health.woke}/${health.tenants} woke, ${health.failedWakes} failed wakes, ${health.crashLoops} crash loops, ${health.delivered} delivered / ${health.deliveryErrors} errors`
          : '- no wave judged yet',
        ...p.verdict.map((v) => `- gate: ${v}`),
        ...(health?.failures.length ? [`- failures: ${health.failures.join('; ')}`] : []),
        ...(p.reason ? [`- reason: ${p.reason}`] : []),
      ].join('\n'),
    );
  };
  const finished = () => FINAL.includes(p.state);
  const refuseWhenFinished = () => reject(finished() ? [`the rollout is ${p.state}`] : []);

  setHandler(upgradeProgressQuery, () => p);
  setHandler(
    pauseUpgradeUpdate,
    (reason) => {
      paused = true;
      p = { ...p, reason: reason.slice(0, 500) || 'paused by an operator' };
      return p;
    },
    { validator: (_reason: string) => refuseWhenFinished() },
  );
  setHandler(
    resumeUpgradeUpdate,
    async () => {
      paused = false;
      if (!aborted) p = { ...p, reason: null };
      await condition(() => p.state !== 'paused' || aborted); // answer once the rollout moved on
      return p;
    },
    { validator: () => refuseWhenFinished() },
  );
  setHandler(
    abortUpgradeUpdate,
    async (reason) => {
      aborted = true;
      p = { ...p, reason: `aborted: ${reason.slice(0, 500)}` };
      await condition(finished);
      return p;
    },
    { validator: (_reason: string) => refuseWhenFinished() },
  );

  /** Holds while paused; false when the rollout was aborted instead. */
  const mayGoOn = async (): Promise<boolean> => {
    if (paused && !aborted) {
      const before = p.state;
      publish('paused');
      await condition(() => !paused || aborted);
      p = { ...p, state: before, reason: aborted ? p.reason : null };
    }
    return !aborted;
  };

  const end = async (state: FleetUpgradeState): Promise<FleetUpgradeProgress> => {
    publish(state);
    await condition(allHandlersFinished);
    return p;
  };

  publish();
  const selection = await step(fleet.selectUpgradeTenants, `select tenants for OpenClaw ${target}`, {
    selector: input.selector,
    targetVersion: target,
  });
  const ends = waveEnds(selection.tenants.length, input.waves ?? DEFAULT_WAVES);
  p = {
    ...p,
    selected: selection.tenants.length,
    alreadyCurrent: selection.alreadyCurrent,
    pinned: selection.pinned.slice(0, MAX_PINNED_LISTED),
    pinnedCount: selection.pinned.length,
    waves: ends.length,
  };
  if (selection.tenants.length > 0) {
    publish('installing');
    await step(fleet.installOpenClawVersion, `install OpenClaw ${target}`, { version: target });
  }

  for (let index = 0; index < ends.length; index += 1) {
    if (!(await mayGoOn())) return end('aborted');
    const wave: readonly UpgradeTarget[] = selection.tenants.slice(
      index === 0 ? 0 : ends[index - 1],
      ends[index],
    );
    p = { ...p, wave: index + 1, verdict: [] };
    publish('applying');
    const skipped = await step(
      fleet.applyOpenClawVersions,
      `wave ${index + 1}: OpenClaw ${target} for ${wave.length} tenants`,
      {
        tenants: wave.map((t) => ({ tenantId: t.tenantId, version: target })),
        restartAwake: input.restartAwake ?? false,
      },
    );
    const late = new Set([...skipped.pinned, ...skipped.gone]);
    const moved = wave.filter((t) => !late.has(t.tenantId));
    p = {
      ...p,
      pinned: [...p.pinned, ...skipped.pinned].slice(0, MAX_PINNED_LISTED),
      pinnedCount: p.pinnedCount + skipped.pinned.length,
    };
    for (;;) {
      publish('observing');
      if (await condition(() => aborted, gate.observeMs)) return end('aborted');
      const health = await step(fleet.measureWaveHealth, `wave ${index + 1}: measure health`, {
        tenants: moved,
        version: target,
      });
      const verdict = judgeWave(health, gate);
      p = { ...p, lastHealth: health, verdict: verdict.notes };
      if (verdict.pass) break;
      if (verdict.rollback) {
        p = { ...p, reason: `wave ${index + 1} failed its health gate` };
        publish('rolling-back');
        await step(fleet.applyOpenClawVersions, `wave ${index + 1}: roll back ${moved.length} tenants`, {
          tenants: moved.map((t) => ({ tenantId: t.tenantId, version: t.previousVersion })),
          restartAwake: true, // a tenant awake on the failing version goes back at once
          resumeFailed: true, // and one the failing version left `failed` can wake again
        });
        p = { ...p, rolledBack: moved.length };
        return end('rolled-back');
      }
      // Too few wakes to judge: hold for an operator, who can resume (measure again) or abort.
      paused = true;
      p = { ...p, reason: verdict.notes.join('; ') };
      if (!(await mayGoOn())) return end('aborted');
    }
    p = { ...p, upgraded: p.upgraded + moved.length };
  }
  p = { ...p, reason: null };
  return end('done');
}
