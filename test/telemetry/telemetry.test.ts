/**
 * Traces and metrics with real events, on one small fleet (real Temporal,
 * router, worker, activities and sandboxed supervisors; the stand-in OpenClaw,
 * since what is measured is clawfleet, not the model):
 * - one Telegram update to a sleeping tenant, posted to the router, becomes
 *   one connected trace in an OTLP/HTTP collector: the router's request span,
 *   the Temporal client's signal-with-start, the workflow's spans (out of the
 *   sandbox through the worker's sink), the activities, and the server spans
 *   of the tenant's supervisor (another process, exporting through its
 *   sandbox egress), every span with the tenant id;
 * - the worker's and the supervisor's Prometheus counters move with wakes,
 *   snapshots, a crashed OpenClaw, a killed supervisor and an eviction.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { TenantClient } from '../../client/tenant-client.js';
import { createRootLogger } from '../../common/logger.js';
import { serveMetrics, type MetricsListener } from '../../common/metrics.js';
import { startTracing, tracedClientInterceptors, TENANT_ID, type Tracing } from '../../common/tracing.js';
import { telegramUpdate } from '../../fakes/telegram-update.js';
import { SECRET_NAMES } from '../../registry/secret-store.js';
import { wireAdapters, type WiredAdapters } from '../../worker/adapters.js';
import { tracedWorkerOptions } from '../../worker/tracing.js';
import { startFleetBase, type FleetBase } from '../helpers/fleet-base.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import type { Fleet } from '../local/fleet.js';
import { startFleetRouter, type FleetRouter } from '../local/fleet-router.js';
import { processesOf, sample, scrape, waitFor } from './probes.js';

const STAND_IN = join(import.meta.dirname, '..', 'supervisor', 'stand-in-openclaw.mjs');

describe('telemetry: traces across processes and Prometheus counters, on a one-place fleet', function () {
  this.timeout(300_000);
  let receiver: OtlpReceiver;
  let base: FleetBase;
  let tracing: Tracing;
  let router: FleetRouter;
  let tenants: TenantClient;
  let wired: WiredAdapters;
  let workerMetrics: MetricsListener;
  let firstTenant: string;

  before(async () => {
    receiver = await startOtlpReceiver();
    base = await startFleetBase('traces', {
      telemetry: { otlpEndpoint: receiver.url },
      // One place and a short wait for it, so a second tenant's wake evicts the first. The sandbox lets tenants
      // reach the collector by itself (worker/local-runtime-wiring.ts).
      local: {
        warmSupervisors: 0,
        maxTenants: 1,
        capacityWait: '1s',
        portBase: 21000 + 40 * Math.floor(Math.random() * 900), // beside other fleets on this host
      },
    });
    // The router and the worker share this process here, so they share its one SDK (the API globals).
    assert.equal(base.config.local.sandbox, 'on', 'supervisors export through their sandbox egress');
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
    wired = await wireAdapters(base.config, logger, client, {
      openclaw: () => Promise.resolve({ node: process.execPath, entry: STAND_IN }),
    });
    workerMetrics = await serveMetrics(wired.metrics.registry, { host: '127.0.0.1', port: 0 });
    await base.runWorker(wired, tracedWorkerOptions(tracing));
    router = await startFleetRouter({ ...base, client } as unknown as Fleet, { tracing });
    tenants = new TenantClient({ client, taskQueue: base.config.temporal.taskQueue });
  });

  after(async () => {
    await workerMetrics?.close();
    await router?.close();
    await base?.cleanup();
    await tracing?.shutdown();
    await receiver?.close();
  });

  it('spans from every process share one trace id, link parent to child, and name the tenant', async () => {
    const tenantId = (firstTenant = `tr-${randomBytes(3).toString('hex')}`);
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

  it('worker and supervisor counters move with wakes, snapshots, a crash, a lost pod and an eviction', async () => {
    const tenantId = firstTenant;
    const worker = () => scrape(`${workerMetrics.url}/metrics`);
    // The first test's wake (no state yet) and its sleep (the final snapshot).
    const afterFirst = await worker();
    assert.equal(sample(afterFirst, 'clawfleet_worker_wakes_total{path="fresh",outcome="ok"}'), 1);
    assert.equal(sample(afterFirst, 'clawfleet_worker_wake_seconds_count{path="fresh"}'), 1);
    assert.equal(sample(afterFirst, 'clawfleet_worker_snapshots_total{kind="final"}'), 1);
    assert.ok(sample(afterFirst, 'clawfleet_worker_snapshot_bytes_sum{kind="final"}') > 0);
    assert.ok(!afterFirst.includes(tenantId), 'no tenant id in any worker label');

    // A second update wakes it from its snapshot; the supervisor counts the delivery.
    const { webhookSecret } = await secretOf(tenantId);
    const sent = await router.telegram(
      tenantId,
      webhookSecret,
      telegramUpdate({ updateId: 7002, text: 'again' }),
    );
    assert.equal(sent.status, 200);
    const supervisor = async () => {
      const pod = (await wired.deps.runtime.capacity()).pods.find(
        (p) => p.tenantId === tenantId && p.state === 'ready',
      );
      if (!pod) return undefined;
      const token = wired.localRuntime!.tokenFor(pod)!;
      const unauthenticated = await fetch(`${pod.endpoint}/metrics`);
      assert.equal(unauthenticated.status, 401, 'the supervisor metrics need its token');
      return scrape(`${pod.endpoint}/metrics`, token);
    };
    await waitFor(
      async () => {
        const text = await supervisor();
        return text && sample(text, 'clawfleet_supervisor_deliveries_total{outcome="2xx"}') === 1
          ? text
          : undefined;
      },
      'the supervisor counted the delivery',
      60_000,
    );
    assert.equal(sample(await worker(), 'clawfleet_worker_wakes_total{path="restore",outcome="ok"}'), 1);

    // OpenClaw crashes: the supervisor restarts it and counts the restart.
    const [openclaw] = await processesOf(base.dataDir, tenantId, 'stand-in-openclaw.mjs');
    assert.ok(openclaw !== undefined, 'the stand-in OpenClaw runs');
    process.kill(openclaw, 'SIGKILL');
    await waitFor(
      async () => {
        const text = await supervisor();
        return text && sample(text, 'clawfleet_supervisor_openclaw_restarts_total') === 1 ? true : undefined;
      },
      'the supervisor counted the OpenClaw restart',
      60_000,
    );

    // The supervisor dies: the runtime reports the pod lost and the workflow relaunches it.
    const [supervisorPid] = await processesOf(base.dataDir, tenantId, 'supervisor/main');
    assert.ok(supervisorPid !== undefined, 'the supervisor runs');
    process.kill(supervisorPid, 'SIGKILL');
    await waitFor(
      async () => {
        const text = await worker();
        return sample(text, 'clawfleet_worker_pods_lost_total') === 1 &&
          sample(text, 'clawfleet_worker_wakes_total{path="restore",outcome="ok"}') === 2
          ? true
          : undefined;
      },
      'the lost pod counted and relaunched',
      90_000,
    );

    // A second tenant on the full host: the first, idle, is evicted to make room.
    const other = `tr-${randomBytes(3).toString('hex')}`;
    const second = await base.registerTenant(other);
    const otherSent = await router.telegram(
      other,
      second.webhookSecret,
      telegramUpdate({ updateId: 1, text: 'hi' }),
    );
    assert.equal(otherSent.status, 200);
    await waitFor(
      async () => {
        const text = await worker();
        return sample(text, 'clawfleet_worker_evictions_total') >= 1 &&
          sample(text, 'clawfleet_worker_wakes_total{path="fresh",outcome="ok"}') === 2
          ? true
          : undefined;
      },
      'an eviction, then the second tenant awake',
      90_000,
    );
    assert.ok(
      sample(await worker(), 'clawfleet_worker_snapshots_total{kind="final"}') >= 2,
      "the evicted tenant's drain",
    );
  });

  /** The tenant's webhook secret, as registered (the registry keeps only its hash). */
  async function secretOf(tenantId: string): Promise<{ webhookSecret: string }> {
    const webhookSecret = await base.secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    assert.ok(webhookSecret);
    return { webhookSecret };
  }
});
