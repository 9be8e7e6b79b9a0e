/**
 * `tenantWorkflow`: the durable lifecycle of one tenant (workflow id
 * `tenant-<tenantId>`). Handlers (tenant-handlers.ts) record requests in
 * TenantState; the loop below runs one phase at a time (tenant-lifecycle.ts)
 * and continues as new at every sleep boundary, so a tenant that lives for
 * years keeps a short history.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { DEFAULT_SETTINGS, TenantIdAttr, type TenantWorkflowInput } from './shared.js';
import { PausedTier } from './paused-tier.js';
import { setSignalHandlers, setUpdateHandlers } from './tenant-handlers.js';
import { TenantState } from './tenant-state.js';
import type { TenantDescription, TenantSettings } from './types.js';

/** Never carry more than this much buffered payload through continue-as-new (server blob limit is 2 MB). */
const MAX_CARRIED_BUFFER_BYTES = 1024 * 1024;

function initialState(input: TenantWorkflowInput): TenantState {
  if (input.carried) return new TenantState(input.carried);
  const settings: TenantSettings = {
    ...DEFAULT_SETTINGS,
    ...input.settings,
    crashLoop: { ...DEFAULT_SETTINGS.crashLoop, ...input.settings?.crashLoop },
    buffer: { ...DEFAULT_SETTINGS.buffer, ...input.settings?.buffer },
  };
  return TenantState.fresh(input.tenantId, settings, Date.now());
}

export async function tenantWorkflow(input: TenantWorkflowInput): Promise<TenantDescription> {
  const state = initialState(input);
  const d = state.data;
  const life = new PausedTier(state);

  upsertSearchAttributes([{ key: TenantIdAttr, value: d.tenantId }]);
  life.publishAttributes();

  setSignalHandlers(state, life);
  const settingsVersion = setUpdateHandlers(state, life);

  const pendingRequest = () =>
    state.hasWakeReason() || d.requests.suspend !== null || d.requests.offboard !== null || d.requests.resume;
  /** Safe to continue as new: no handler mid-flight and no buffer too big to carry. */
  const canRest = () =>
    workflowInfo().continueAsNewSuggested &&
    allHandlersFinished() &&
    d.bufferedBytes <= MAX_CARRIED_BUFFER_BYTES;

  for (;;) {
    const before = d.phase;
    let rest = false;
    switch (d.phase) {
      case 'asleep':
        await life.asleep();
        break;
      case 'waking':
        await life.waking();
        break;
      case 'running':
      case 'draining':
        rest = (await life.running(settingsVersion, canRest)) === 'rest';
        break;
      case 'paused':
        await life.paused();
        break;
      case 'suspended':
      case 'failed':
        await life.held();
        break;
      case 'offboarding':
        await life.offboarding();
        break;
      case 'deleted':
        await condition(allHandlersFinished);
        return state.describe();
    }
    await life.syncRegistryStatus();
    const fellAsleep = before !== 'asleep' && d.phase === 'asleep';
    if (fellAsleep || rest || workflowInfo().continueAsNewSuggested) {
      // Handlers still running either finish on their own or are waiting for a request the loop must act on.
      await condition(() => allHandlersFinished() || pendingRequest());
      if (!pendingRequest() && d.bufferedBytes <= MAX_CARRIED_BUFFER_BYTES) {
        await continueAsNew<typeof tenantWorkflow>({ tenantId: d.tenantId, carried: d });
      }
    }
  }
}
