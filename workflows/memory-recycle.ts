/**
 * An idle tenant whose memory passed its tier's limit (OpenClaw grows while it
 * runs) is stopped after its final snapshot instead of paused, which would keep
 * that memory: the next message relaunches it fresh from the snapshot, so the
 * recycle is invisible to its users except for one cold wake. The supervisor
 * reports the figure and the limit (AgentActivity.memory); this decides.
 */
import type { AgentActivity } from './types.js';

/** The reason shown in describe and the Web UI, or null when the tenant stays within its limit. */
export function recycleReason(agent: AgentActivity | null): string | null {
  const memory = agent?.memory;
  if (!memory || memory.limitMb <= 0 || memory.rssMb <= memory.limitMb) return null;
  return `recycled: rss ${memory.rssMb} MB over the tier's ${memory.limitMb} MB limit; stopped after its snapshot, relaunched fresh at the next message`;
}
