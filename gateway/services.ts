import type { Dispatcher } from 'undici';
import type { Logger } from '../common/logger.js';
import type { ModelCatalog } from './catalog.js';
import type { GatewayMetrics } from './metrics.js';
import type { QuotaGuard } from './quota-guard.js';
import type { TenantAccess } from './tenant-access.js';
import type { UsageMeter } from './usage-meter.js';

/** What the gateway's routes work with; wiring.ts builds them for server.ts, tests and the benchmark. */
export interface GatewayServices {
  readonly access: TenantAccess;
  readonly catalog: ModelCatalog;
  readonly guard: QuotaGuard;
  readonly meter: UsageMeter;
  readonly metrics: GatewayMetrics;
  /** Keep-alive connection pools to the upstreams. */
  readonly upstream: Dispatcher;
  readonly logger: Logger;
}
