import assert from 'node:assert/strict';
import { createLocalEnv, createTimeSkippingEnv } from '../helpers/temporal.js';

describe('Temporal test harness', () => {
  it('starts the time-skipping server from the resolved binary and skips time', async () => {
    const env = await createTimeSkippingEnv();
    try {
      const before = await env.currentTimeMs();
      await env.sleep('1 day');
      assert.ok((await env.currentTimeMs()) - before >= 86_400_000);
    } finally {
      await env.teardown();
    }
  });

  it('starts a dev server with the clawfleet search attributes registered', async () => {
    const env = await createLocalEnv();
    try {
      const listing = await env.client.connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      const custom = Object.keys(listing.customAttributes ?? {});
      for (const name of ['TenantId', 'TenantPhase', 'TenantTier', 'OpenClawVersion', 'LastActiveAt'])
        assert.ok(custom.includes(name), name);
    } finally {
      await env.teardown();
    }
  });
});
