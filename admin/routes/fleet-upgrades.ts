/** Fleet upgrades: /v1/fleet/upgrades… (platform tokens only). */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminDeps } from '../deps.js';
import { ReasonBody, RolloutParams, StartUpgradeBody, UpgradeView } from '../fleet-upgrade-schemas.js';
import { FleetUpgradeService } from '../fleet-upgrade-service.js';

const platform = { access: 'platform' } as const;
const tags = ['fleet'];

export const fleetUpgradeRoutes: FastifyPluginCallbackTypebox<{ deps: AdminDeps }> = (
  app,
  { deps },
  done,
) => {
  const upgrades = new FleetUpgradeService(deps);

  app.post(
    '/v1/fleet/upgrades',
    {
      config: platform,
      schema: {
        operationId: 'startFleetUpgrade',
        tags,
        summary: 'Start a health-gated rollout of an OpenClaw version in waves (one at a time)',
        body: StartUpgradeBody,
        response: { 202: UpgradeView },
      },
    },
    async (request, reply) => {
      const view = await upgrades.start(request.body);
      request.log.info(
        { rolloutId: view.rolloutId, targetVersion: view.targetVersion },
        'fleet upgrade started',
      );
      return reply.code(202).send(view);
    },
  );

  app.get(
    '/v1/fleet/upgrades/:rolloutId',
    {
      config: platform,
      schema: {
        operationId: 'getFleetUpgrade',
        tags,
        summary: 'Progress of a rollout: wave, counts, last health, skipped (pinned) tenants',
        params: RolloutParams,
        response: { 200: UpgradeView },
      },
    },
    (request) => upgrades.get(request.params.rolloutId),
  );

  for (const action of ['pause', 'resume', 'abort'] as const) {
    app.post(
      `/v1/fleet/upgrades/:rolloutId/${action}`,
      {
        config: platform,
        schema: {
          operationId: `${action}FleetUpgrade`,
          tags,
          summary: {
            pause: 'Hold the rollout before its next wave',
            resume: 'Continue a paused rollout (a gate waiting for wakes measures again)',
            abort: 'Stop the rollout for good; waves already applied keep the new version',
          }[action],
          params: RolloutParams,
          ...(action !== 'resume' && { body: ReasonBody }),
          response: { 200: UpgradeView },
        },
      },
      (request) => {
        const { rolloutId } = request.params;
        const reason = (request.body as { reason?: string } | undefined)?.reason;
        if (action === 'pause') return upgrades.pause(rolloutId, reason);
        if (action === 'abort') return upgrades.abort(rolloutId, reason);
        return upgrades.resume(rolloutId);
      },
    );
  }
  done();
};
