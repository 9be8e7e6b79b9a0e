/**
 * Which OpenClaw tools a tenant's agent gets: the tier defaults, the closed
 * list a per-tenant override may name, and the control-plane tools no tenant
 * ever gets. The one place tiers are defined; the launch plan turns the result
 * into `tools.alsoAllow`/`tools.deny` of the tenant's `openclaw.json`, on the
 * local runtime (inside the tenant sandbox) and on Kubernetes (inside the pod).
 *
 * Every tier starts from OpenClaw's `messaging` profile (the message tool and
 * session tools) and adds kits of named tools on top.
 */
import type { TenantTier } from '../workflows/types.js';

/** Tools a tier or a tenant override may grant, in kits (OpenClaw 2026.9 tool ids). */
export const TOOL_KITS = {
  /** Reminders: OpenClaw's cron tool (`automations`; `cron` is its accepted alias). */
  reminders: ['cron'],
  web: ['web_search', 'web_fetch'],
  memory: ['memory_search', 'memory_get'],
  /** Shell and background processes: they run as the tenant's own uid inside its sandbox. */
  runtime: ['exec', 'process'],
  fs: ['read', 'write', 'edit', 'apply_patch'],
} as const;

export type GrantableTool = (typeof TOOL_KITS)[keyof typeof TOOL_KITS][number];

/** The closed list an override is validated against: nothing outside it can be granted. */
export const GRANTABLE_TOOLS: readonly GrantableTool[] = Object.values(TOOL_KITS).flat();

/**
 * Denied on every tier whatever the override says: OpenClaw's control plane
 * (gateway config and restarts, plugin installs, setup/repair), device and UI
 * tools, and `code_execution` (a provider-hosted runtime outside our sandbox).
 * `openclaw security audit` flags `gateway`/`plugins` reachable from a chat as critical.
 */
export const CONTROL_PLANE_TOOLS = [
  'gateway',
  'plugins',
  'openclaw',
  'group:nodes',
  'group:ui',
  'code_execution',
] as const;

/** Tier defaults. Keep `cron` on every tier: reminders wake a sleeping tenant through the workflow. */
export const TIER_TOOLS: Readonly<Record<TenantTier, readonly GrantableTool[]>> = {
  free: [...TOOL_KITS.reminders],
  standard: [...TOOL_KITS.reminders, ...TOOL_KITS.web, ...TOOL_KITS.memory],
  pro: [...TOOL_KITS.reminders, ...TOOL_KITS.web, ...TOOL_KITS.memory, ...TOOL_KITS.runtime, ...TOOL_KITS.fs],
};

/** A tenant's override on top of its tier: `allow` adds tools, `deny` removes them (deny wins). */
export interface TenantToolOverride {
  readonly allow?: readonly GrantableTool[];
  readonly deny?: readonly GrantableTool[];
}

/** What goes into `openclaw.json`'s `tools` section. */
export interface ResolvedTools {
  readonly profile: 'messaging';
  /** The granted tools, in GRANTABLE_TOOLS order. */
  readonly alsoAllow: GrantableTool[];
  /** The control-plane tools, then every grantable tool not granted (OpenClaw's deny wins over any profile). */
  readonly deny: string[];
}

export function resolveTenantTools(tier: TenantTier, override: TenantToolOverride = {}): ResolvedTools {
  const wanted = new Set<GrantableTool>([...TIER_TOOLS[tier], ...(override.allow ?? [])]);
  for (const tool of override.deny ?? []) wanted.delete(tool);
  const alsoAllow = GRANTABLE_TOOLS.filter((tool) => wanted.has(tool));
  const notGranted = GRANTABLE_TOOLS.filter((tool) => !wanted.has(tool));
  return { profile: 'messaging', alsoAllow, deny: [...CONTROL_PLANE_TOOLS, ...notGranted] };
}
