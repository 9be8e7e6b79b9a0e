/**
 * Input checks for updates. Pure functions returning problems, so the update
 * validators (which reject before anything enters history) and clients that
 * want to fail fast share one definition.
 */
import { LIMITS, OPENCLAW_VERSION_PATTERN } from './shared.js';
import {
  TENANT_PHASES,
  TENANT_TIERS,
  type ConfigurePatch,
  type OffboardRequest,
  type TenantPhase,
} from './types.js';

const CONFIGURE_KEYS = new Set(['tier', 'openclawVersion', 'idleTimeoutMs', 'snapshotIntervalMs']);

function checkRange(name: string, value: unknown, range: { min: number; max: number }): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    return [`${name} must be an integer between ${range.min} and ${range.max}, got ${JSON.stringify(value)}`];
  }
  return [];
}

export function checkConfigurePatch(patch: ConfigurePatch): string[] {
  if (typeof patch !== 'object' || patch === null) return ['patch must be an object'];
  const problems = Object.keys(patch)
    .filter((key) => !CONFIGURE_KEYS.has(key))
    .map((key) => `unknown setting ${JSON.stringify(key)}`);
  if (Object.keys(patch).length === 0) problems.push('patch changes nothing');
  if (patch.tier !== undefined && !(TENANT_TIERS as readonly string[]).includes(patch.tier)) {
    problems.push(`tier must be one of ${TENANT_TIERS.join(', ')}`);
  }
  if (patch.openclawVersion !== undefined && !OPENCLAW_VERSION_PATTERN.test(String(patch.openclawVersion))) {
    problems.push(
      `openclawVersion ${JSON.stringify(patch.openclawVersion)} is not a release version like 2026.1.29`,
    );
  }
  problems.push(...checkRange('idleTimeoutMs', patch.idleTimeoutMs, LIMITS.idleTimeoutMs));
  problems.push(...checkRange('snapshotIntervalMs', patch.snapshotIntervalMs, LIMITS.snapshotIntervalMs));
  return problems;
}

export function checkOffboardRequest(request: OffboardRequest): string[] {
  if (typeof request !== 'object' || request === null) return ['request must be an object'];
  const problems = checkRange('graceDays', request.graceDays, LIMITS.graceDays);
  if (request.dryRun !== undefined && typeof request.dryRun !== 'boolean')
    problems.push('dryRun must be a boolean');
  return problems;
}

export function checkReason(reason: unknown): string[] {
  if (typeof reason !== 'string' || reason.trim() === '') return ['a reason is required'];
  if (reason.length > LIMITS.reasonLength) return [`reason is longer than ${LIMITS.reasonLength} characters`];
  return [];
}

/** Phases in which an operation makes sense; the validator names the phase otherwise. */
const ALLOWED: Record<
  'wake' | 'suspend' | 'resume' | 'configure' | 'offboard' | 'restore a snapshot of',
  readonly TenantPhase[]
> = {
  wake: ['asleep', 'waking', 'running', 'draining', 'paused'],
  suspend: ['asleep', 'waking', 'running', 'draining', 'paused', 'failed'],
  resume: ['suspended', 'failed', 'offboarding'],
  configure: TENANT_PHASES.filter((p) => p !== 'offboarding' && p !== 'deleted'),
  offboard: TENANT_PHASES.filter((p) => p !== 'offboarding' && p !== 'deleted'),
  // No pod holds the state: a running (or paused) tenant's next snapshot would bury the restore.
  'restore a snapshot of': ['asleep', 'suspended', 'failed'],
};

export function checkSnapshotSeq(seq: unknown): string[] {
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0
    ? []
    : [`snapshot seq must be a positive integer, got ${JSON.stringify(seq)}`];
}

export function checkPhase(operation: keyof typeof ALLOWED, phase: TenantPhase): string[] {
  return ALLOWED[operation].includes(phase) ? [] : [`cannot ${operation} a tenant that is ${phase}`];
}
