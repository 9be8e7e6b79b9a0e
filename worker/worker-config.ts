import type { Config } from '../common/config.js';

/** The worker's slice of the configuration: everything but the admin API's and the CLI's groups. */
export type WorkerConfig = Omit<Config, 'admin' | 'cli'>;

/**
 * How soon a SIGKILLed worker's work moves to the next one (docs/operations.md,
 * "Recovery times"). A workflow task already handed to the dead worker's
 * sticky queue waits this long before any worker may take it (SDK default
 * 10 s); a restarted worker takes it over after a full replay. Heartbeats go
 * out every 2 s at most (default: 80% of the heartbeat timeout), so the
 * short heartbeat timeouts in workflows/activity-proxies.ts do not time out
 * a live activity on a loaded machine.
 */
export const RECOVERY_OPTIONS = {
  stickyQueueScheduleToStartTimeout: '3 seconds',
  maxHeartbeatThrottleInterval: '2 seconds',
  defaultHeartbeatThrottleInterval: '2 seconds',
} as const;
