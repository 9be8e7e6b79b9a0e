/**
 * Paginated tenant listing over the registry's status index. Without a
 * status filter it walks the statuses in a fixed order; the cursor names the
 * status and the registry's own cursor within it. The tier filter applies
 * after the read, so a page may hold fewer than `limit` items while more
 * follow (clients page until `cursor` is null).
 */
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import { TENANT_STATUSES, type TenantStatus } from '../registry/tenant-record.js';
import type { TenantTier } from '../workflows/types.js';
import { AdminError } from './errors.js';
import type { TenantViewData } from './schemas.js';
import { tenantView } from './tenant-view.js';

interface Cursor {
  readonly s: TenantStatus;
  readonly c: string | null;
}

export interface ListRequest {
  readonly status?: TenantStatus;
  readonly tier?: TenantTier;
  readonly limit?: number;
  readonly cursor?: string;
}

export async function listTenants(
  registry: DynamoRegistry,
  request: ListRequest,
): Promise<{ items: TenantViewData[]; cursor: string | null }> {
  const limit = request.limit ?? 100;
  const statuses = request.status ? [request.status] : [...TENANT_STATUSES];
  const start = request.cursor ? decode(request.cursor, statuses) : { s: statuses[0]!, c: null };
  const items: TenantViewData[] = [];
  let index = statuses.indexOf(start.s);
  let inner: string | null = start.c;
  while (index < statuses.length && items.length < limit) {
    const page = await registry.listByStatus(statuses[index]!, {
      limit: limit - items.length,
      cursor: inner,
      order: 'newest-first',
    });
    for (const record of page.items)
      if (!request.tier || record.tier === request.tier) items.push(tenantView(record));
    inner = page.cursor;
    if (inner === null) index += 1;
  }
  const next = index < statuses.length ? encode({ s: statuses[index]!, c: inner }) : null;
  return { items, cursor: next };
}

function encode(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decode(raw: string, statuses: readonly TenantStatus[]): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (statuses.includes(parsed.s) && (parsed.c === null || typeof parsed.c === 'string')) return parsed;
  } catch {
    // fall through: refuse below
  }
  throw new AdminError(400, 'CURSOR_INVALID', 'cursor is not one this listing returned');
}
