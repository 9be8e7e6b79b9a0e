/** Request and response schemas of the fleet upgrade routes (OpenAPI is generated from these). */
import Type from 'typebox';
import { FLEET_UPGRADE_STATES, type FleetUpgradeState } from '../workflows/fleet-contract.js';
import { OpenClawVersion, TenantId, Tier } from './schemas.js';

export const RolloutId = Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,62}$', description: 'Rollout id' });
export const RolloutParams = Type.Object({ rolloutId: RolloutId });

const Count = Type.Integer({ minimum: 0 });

export const HealthGateBody = Type.Object(
  {
    observeMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400_000 })),
    minWakes: Type.Optional(Count),
    maxFailedWakes: Type.Optional(Count),
    maxCrashLoops: Type.Optional(Count),
    firstDeliveryAcked: Type.Optional(Type.Boolean()),
    maxErrorRateIncrease: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

export const StartUpgradeBody = Type.Object(
  {
    /** @default `<targetVersion>-<random>` */
    rolloutId: Type.Optional(RolloutId),
    targetVersion: OpenClawVersion,
    selector: Type.Union([
      Type.Object({ tier: Tier }, { additionalProperties: false }),
      Type.Object(
        { tenantIds: Type.Array(TenantId, { minItems: 1, maxItems: 10_000 }) },
        { additionalProperties: false },
      ),
      Type.Object({ all: Type.Literal(true) }, { additionalProperties: false }),
    ]),
    /** Cumulative percentages ending at 100. @default [1, 10, 50, 100] */
    waves: Type.Optional(
      Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), { minItems: 1, maxItems: 10 }),
    ),
    gate: Type.Optional(HealthGateBody),
    restartAwake: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type StartUpgradeInput = Type.Static<typeof StartUpgradeBody>;

export const ReasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

const WaveHealthView = Type.Object({
  tenants: Count,
  woke: Count,
  failedWakes: Count,
  crashLoops: Count,
  crashes: Count,
  firstDeliveriesDropped: Count,
  delivered: Count,
  deliveryErrors: Count,
  baselineDelivered: Count,
  baselineDeliveryErrors: Count,
  failures: Type.Array(Type.String()),
});

export const UpgradeView = Type.Object({
  rolloutId: Type.String(),
  workflowId: Type.String(),
  /** Temporal's view: RUNNING, COMPLETED, TERMINATED, ... */
  execution: Type.String(),
  targetVersion: Type.String(),
  state: Type.Unsafe<FleetUpgradeState>({ type: 'string', enum: [...FLEET_UPGRADE_STATES] }),
  wave: Count,
  waves: Count,
  selected: Count,
  upgraded: Count,
  rolledBack: Count,
  alreadyCurrent: Count,
  pinned: Type.Array(Type.String()),
  pinnedCount: Count,
  lastHealth: Type.Union([WaveHealthView, Type.Null()]),
  verdict: Type.Array(Type.String()),
  reason: Type.Union([Type.String(), Type.Null()]),
});
export type UpgradeViewData = Type.Static<typeof UpgradeView>;
