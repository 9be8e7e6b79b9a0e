/** Per-tenant data: usage, snapshots, logs (/v1/tenants/:id/…); secrets and API keys are in secrets.ts. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { totalByModel } from '../../registry/model-usage.js';
import type { AdminDeps } from '../deps.js';
import { AdminError } from '../errors.js';
import { IdParams, LogsQuery, SeqParams } from '../schemas.js';
import { UsageQuery, UsageReport } from '../usage-schemas.js';
import type { SnapshotService } from '../snapshot-service.js';
import type { TenantService } from '../tenant-service.js';

export interface TenantDataRouteOptions {
  readonly deps: AdminDeps;
  readonly service: TenantService;
  readonly snapshots: SnapshotService;
}

const tenantScoped = { access: 'tenant' } as const;
const platform = { access: 'platform' } as const;
const DAY_MS = 86_400_000;

export const tenantDataRoutes: FastifyPluginCallbackTypebox<TenantDataRouteOptions> = (
  app,
  { deps, service, snapshots },
  done,
) => {
  app.get(
    '/v1/tenants/:id/usage',
    {
      config: tenantScoped,
      schema: {
        operationId: 'tenantUsage',
        tags: ['usage'],
        summary:
          'Per-day usage for billing (UTC days, default the last 30): active time, wakes, messages, tokens and cost by model',
        params: IdParams,
        querystring: UsageQuery,
        response: { 200: UsageReport },
      },
    },
    async (request) => {
      const { id } = request.params;
      await service.require(id);
      const to = request.query.to ?? new Date().toISOString().slice(0, 10);
      const from = request.query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
      if (from > to) throw new AdminError(400, 'RANGE_INVALID', 'from must not be after to');
      const days = await deps.registry.usageBetween(id, from, to);
      const total = { activeSeconds: 0, wakes: 0, messages: 0, tokens: 0, costMicros: 0 };
      for (const d of days) {
        total.activeSeconds += d.activeSeconds;
        total.wakes += d.wakes;
        total.messages += d.messages;
        total.tokens += d.tokens;
        total.costMicros += d.costMicros;
      }
      return { tenantId: id, from, to, days, total, models: totalByModel(days) };
    },
  );

  app.get(
    '/v1/tenants/:id/snapshots',
    {
      config: tenantScoped,
      schema: {
        operationId: 'listSnapshots',
        tags: ['snapshots'],
        summary: 'Stored snapshots, newest first',
        params: IdParams,
      },
    },
    async (request) => snapshots.list(request.params.id),
  );

  app.post(
    '/v1/tenants/:id/snapshots/:seq/restore',
    {
      config: platform,
      schema: {
        operationId: 'restoreSnapshot',
        tags: ['snapshots'],
        summary: 'Make snapshot seq the newest again (tenant must be asleep/suspended)',
        params: SeqParams,
      },
    },
    async (request) => {
      const result = await snapshots.restore(request.params.id, request.params.seq);
      request.log.info(result, 'snapshot restored');
      return result;
    },
  );

  app.get(
    '/v1/tenants/:id/logs',
    {
      config: tenantScoped,
      schema: {
        operationId: 'tenantLogs',
        tags: ['logs'],
        summary: 'Supervisor and OpenClaw logs as NDJSON {source, line}; follow streams new lines',
        params: IdParams,
        querystring: LogsQuery,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await service.require(id);
      const { lines, cursor } = await deps.logs.tail(id, request.query.lines ?? 200);
      const ndjson = (batch: { source: string; line: string }[]) =>
        batch.map((l) => `${JSON.stringify(l)}\n`).join('');
      if (!request.query.follow) return reply.type('application/x-ndjson').send(ndjson(lines));
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      raw.write(ndjson(lines));
      const abort = new AbortController();
      raw.once('close', () => abort.abort()); // the client went away
      await deps.logs
        .follow(id, cursor, (batch) => raw.write(ndjson(batch)), abort.signal)
        .catch((error: unknown) => request.log.warn({ err: error, tenantId: id }, 'log follow stopped'));
      raw.end();
    },
  );
  done();
};
