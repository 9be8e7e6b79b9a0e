/**
 * Keys of the router's per-day message counts in Redis (router/message-counter.ts
 * writes them; the worker's `recordUsage` activity copies them into the usage table).
 */
import { assertTenantId } from '../common/ids.js';

export const MESSAGE_COUNT_PREFIX = 'clawfleet:msgs:';

export const messageCountKey = (tenantId: string, day: string): string =>
  `${MESSAGE_COUNT_PREFIX}${assertTenantId(tenantId)}:${day}`;
