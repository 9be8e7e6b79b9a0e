/**
 * Traces per tenant: one Telegram update to a sleeping tenant, posted to the
 * real router, becomes one connected trace in an OTLP/HTTP collector: the
 * router's request span, the Temporal client's signal-with-start, the
 * workflow's spans (from the sandbox, through the worker's sink), the
 * activities, and the server spans of the tenant's real supervisor (another
 * process, sandboxed, exporting on its own through its egress). Every span
 * carries the tenant id. The agent is the stand-in OpenClaw: what is traced
 * is clawfleet, not the model.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { TenantClient } from '../../client/tenant-client.js';
import { createRootLogger } from '../../common/logger.js';
import { startTracing, tracedClientInterceptors, TENANT_ID, type Tracing } from '../../common/tracing.js';
import { telegramUpdate } from '../../fakes/telegram-update.js';
import { wireAdapters } from '../../worker/adapters.js';
import { tracedWorkerOptions } from '../../worker/tracing.js';
import { startFleetBase, type FleetBase } from '../helpers/fleet-base.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import type { Fleet } from '../local/fleet.js';
import { startFleetRouter, type FleetRouter } from '../local/fleet-router.js';

const STAND_IN = join(import.meta.dirname, '..', 'supervisor', 'stand-in-openclaw.mjs');

async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('traces: one Telegram update is one connected trace across router, Temporal, worker and supervisor', function () {
  this.timeout(300_000);
  let receiver: OtlpReceiver;
  let base: FleetBase;
  let tracing: Tracing;
  let router: FleetRouter;
  let tenants: TenantClient;

  before(async () => {
    receiver = await startOtlpReceiver();
    base = await startFleetBase('traces', {
      telemetry: { otlpEndpoint: receiver.url },
      local: { warmSupervisors: 0, maxTenants: 2 }, // the sandbox lets tenants reach the collector itself
    });
    // The router and the worker share this process here, so they share its one SDK (the API globals).
    const sdk = await startTracing({
      serviceName: 'clawfleet-test',
      otlpEndpoint: base.config.telemetry.otlpEndpoint,
    });
    assert.ok(sdk, 'an OTLP endpoint starts the SDK');
    tracing = sdk;
    const client = new Client({
      connection: base.env.client.connection,
      namespace: base.config.temporal.namespace,
      interceptors: await tracedClientInterceptors(tracing),
    });
    const logger = createRootLogger({ level: 'warn', name: 'traces' });
    const wired = await wireAdapters(base.config, logger, client, {
      openclaw: () => Promise.resolve({ node: process.execPath, entry: STAND_IN }),
    });
    await base.runWorker(wired, tracedWorkerOptions(tracing));
    router = await startFleetRouter({ ...base, client } as unknown as Fleet, { tracing });
    tenants = new TenantClient({ client, taskQueue: base.config.temporal.taskQueue });
  });

  after(async () => {
    await router?.close();
    await base?.cleanup();
    await tracing?.shutdown();
    await receiver?.close();
  });

  it('spans from every process share one trace id, link parent to child, and name the tenant', async () => {
    const tenantId = `tr-${randomBytes(3).toString('hex')}`;
    const { webhookSecret } = await base.registerTenant(tenantId);
    const text = `secret-looking message ${randomBytes(4).toString('hex')}`;
    const response = await router.telegram(tenantId, webhookSecret, telegramUpdate({ updateId: 7001, text }));
    assert.equal(response.status, 200, await response.text());

    const delivered = await waitFor(
      () =>
        receiver.spans.find(
          (s) => s.service === 'clawfleet-supervisor' && s.name === 'POST /deliver/telegram',
        ),
      'the supervisor span of the delivery',
      120_000,
    );
    // The workflow's run span ends with the run: asleep, the tenant continues as new.
    await tenants.sleep(tenantId);
    const inTrace = (s: ReceivedSpan) => s.traceId === delivered.traceId;
    await waitFor(
      async () => {
        await tracing.spanProcessor.forceFlush();
        return receiver.spans.find((s) => inTrace(s) && s.name === 'RunWorkflow:tenantWorkflow');
      },
      'the workflow run span',
      60_000,
    );
    const trace = receiver.spans.filter(inTrace);
    const names = trace.map((s) => `${s.service}/${s.name}`);

    const roots = trace.filter((s) => s.parentSpanId === '');
    assert.equal(roots.length, 1, `one root: ${names.join(', ')}`);
    assert.equal(roots[0]!.name, 'POST /tg/:tenantId', 'the router request is the root');
    const ids = new Set(trace.map((s) => s.spanId));
    for (const span of trace)
      assert.ok(
        span.parentSpanId === '' || ids.has(span.parentSpanId),
        `${span.name}: its parent is in the trace`,
      );

    for (const expected of [
      'clawfleet-test/SignalWithStartWorkflow:tenantWorkflow', // the router's Temporal client
      'clawfleet-test/RunWorkflow:tenantWorkflow', // the workflow, out of the sandbox through the sink
      'clawfleet-test/HandleSignal:deliver',
      'clawfleet-test/StartActivity:launchPod',
      'clawfleet-test/RunActivity:launchPod', // activities, in the worker
      'clawfleet-test/RunActivity:deliverMessage',
      'clawfleet-supervisor/POST /deliver/telegram', // the tenant's supervisor, another process
    ])
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    // The supervisor's span is a child of the activity that called it, across the process boundary.
    const parent = trace.find((s) => s.spanId === delivered.parentSpanId);
    assert.equal(parent?.name, 'RunActivity:deliverMessage');

    for (const span of trace)
      assert.equal(span.attributes[TENANT_ID], tenantId, `${span.name} names the tenant`);
    const exported = JSON.stringify(receiver.spans);
    assert.ok(!exported.includes(text), 'no message text in any span');
    assert.ok(!exported.includes(webhookSecret), 'no secret in any span');
    assert.deepEqual(receiver.rejected, []);
  });
});
