/**
 * What a tenant's state looks like from outside: the `describe` query's
 * answer, and the markdown the Web UI shows as "Current Details".
 */
import type { TenantStateData } from './tenant-state-data.js';
import type { TenantDescription } from './types.js';

export function describeTenant(d: TenantStateData): TenantDescription {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    tenantId: d.tenantId,
    phase: d.phase,
    settings: d.settings,
    pod: d.pod,
    generation: d.generation,
    lastActiveAt: new Date(d.lastActiveAtMs).toISOString(),
    lastSnapshot: d.lastSnapshot,
    bufferedMessages: d.buffer.length,
    bufferedBytes: d.bufferedBytes,
    overflowCount: d.overflowCount,
    deliveredCount: d.deliveredCount,
    droppedCount: d.droppedCount,
    nextScheduledAt: iso(d.nextScheduledAtMs),
    restartCount: d.restartCount,
    recentCrashes: d.crashTimesMs.length,
    reason: d.reason,
    deleteAfter: iso(d.deleteAfterMs),
    versionHealth: d.versionHealth ?? null,
  };
}

/** Markdown for the Web UI's "Current Details". */
export function tenantDetails(data: TenantStateData): string {
  const d = describeTenant(data);
  const lines = [
    `**Tenant** \`${d.tenantId}\` · **phase** \`${d.phase}\` · tier ${d.settings.tier} · OpenClaw ${d.settings.openclawVersion}`,
    `- pod: ${d.pod ? `\`${d.pod.podId}\` at ${d.pod.endpoint}` : 'none'}`,
    ...(d.pod?.isolation ? [`- isolation: ${d.pod.isolation}`] : []),
    `- last snapshot: ${d.lastSnapshot ? `#${d.lastSnapshot.seq} (${d.lastSnapshot.createdAt})` : 'none'}`,
    `- buffered: ${d.bufferedMessages} messages, ${d.bufferedBytes} bytes; overflow ${d.overflowCount}; delivered ${d.deliveredCount}; dropped ${d.droppedCount}`,
    `- next scheduled wake: ${d.nextScheduledAt ?? 'none'}`,
    `- restarts: ${d.restartCount} (${d.recentCrashes} recent crashes)`,
  ];
  if (d.phase === 'paused' && data.pausedAtMs != null)
    lines.push(
      `- paused (frozen in memory) since ${new Date(data.pausedAtMs).toISOString()}; deep sleep at ${new Date(data.deepSleepAtMs ?? data.pausedAtMs).toISOString()}`,
    );
  if (d.reason) lines.push(`- reason: ${d.reason}`);
  if (data.quotaHit) lines.push(`- quota hit today: ${data.quotaHit}`);
  if (d.deleteAfter) lines.push(`- data deleted after: ${d.deleteAfter}`);
  return lines.join('\n');
}
