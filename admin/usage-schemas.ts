/**
 * TypeBox schemas of the admin API's usage reports: one tenant's billing
 * usage by day (GET /v1/tenants/:id/usage) and the fleet ranked by model
 * cost (GET /v1/usage).
 */
import Type from 'typebox';

/** A UTC day, `YYYY-MM-DD`. */
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

export const UsageQuery = Type.Object(
  { from: Type.Optional(Day), to: Type.Optional(Day) },
  { additionalProperties: false },
);
const UsageCounts = {
  activeSeconds: Type.Integer(),
  wakes: Type.Integer(),
  messages: Type.Integer(),
  tokens: Type.Integer(),
  /** Model cost in micro-USD (the gateway's price table). */
  costMicros: Type.Integer(),
};
/** Model usage by `upstream/model` (registry/model-usage.ts). */
const ModelUsage = Type.Object({
  model: Type.String(),
  requests: Type.Integer(),
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  cachedTokens: Type.Integer(),
  costMicros: Type.Integer(),
  estimatedRequests: Type.Integer(),
});
/** Billing usage per UTC day and in total (registry/usage.ts), with tokens and cost by model. */
export const UsageReport = Type.Object({
  tenantId: Type.String(),
  from: Day,
  to: Day,
  days: Type.Array(
    Type.Object({ day: Day, activeMs: Type.Integer(), ...UsageCounts, models: Type.Array(ModelUsage) }),
  ),
  total: Type.Object(UsageCounts),
  /** Over the range, most expensive first. */
  models: Type.Array(ModelUsage),
});
/** Tenants ranked by model cost (registry/model-usage.ts `fleetModelUsage`). */
export const FleetUsageReport = Type.Object({
  from: Day,
  to: Day,
  tenants: Type.Array(
    Type.Object({
      tenantId: Type.String(),
      costMicros: Type.Integer(),
      costUsd: Type.Number(),
      tokens: Type.Integer(),
      requests: Type.Integer(),
    }),
  ),
});
