import type { TenantClient } from '../client/tenant-client.js';
import type { PodHandle } from '../workflows/shared.js';
import type { QuotaKind } from '../common/quotas.js';
import type { EndpointLookup } from './endpoint-lookup.js';
import type { ForwardSigner } from './forward-signer.js';
import type { KeyInvalidations } from './key-invalidations.js';
import type { MessageCounter } from './message-counter.js';
import type { RouterMetrics } from './metrics.js';
import type { TenantDirectory, TenantView } from './tenant-directory.js';
import type { TouchDebouncer } from './touch.js';
import type { Upstream } from './upstream.js';

/** What the public routes work with; server.ts wires real ones, tests wire the same against test servers. */
export interface RouterServices {
  readonly directory: TenantDirectory;
  readonly endpoints: EndpointLookup;
  /** Signs each forward for the pod it is meant for (the router holds no supervisor token). */
  readonly signer: ForwardSigner;
  readonly upstream: Upstream;
  readonly tenants: Pick<TenantClient, 'deliver' | 'wake'>;
  readonly touches: TouchDebouncer;
  readonly metrics: RouterMetrics;
  /** Messages per tenant and day: the `messagesPerDay` quota and the count billing reads. */
  readonly messages: MessageCounter;
  /** Records which quota refused a tenant, for `clawfleet tenant get` (best effort, throttled). */
  readonly quotaHit: (tenantId: string, hit: { kind: QuotaKind; at: string; limit: number }) => void;
  /** Redis key tracking behind the in-process copies of endpoints and tenant views; closed with the app. */
  readonly tracking: KeyInvalidations;
}

export interface RouterLimits {
  /** Requests per tenant and route per window. */
  readonly rateLimit: number;
  readonly rateLimitWindowMs: number;
  /** Chat cold path: longest wait for a wake before 503. */
  readonly wakeTimeoutMs: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received: forwarded byte for byte. */
    rawBody: string;
    /** Set by the tenant authentication hook. */
    tenant: TenantView | null;
    /** The live pod read, started alongside the tenant lookup so misses share one Redis round trip. */
    endpoint: Promise<PodHandle | null> | null;
  }
  interface FastifyContextConfig {
    /** Route label of the request metrics. */
    metricsRoute?: 'telegram' | 'chat';
  }
}
