/**
 * A sandboxed tenant's way out does not die with its worker: the host end of
 * its egress lives in the egress keeper (local/sandbox/egress-keeper.ts), a
 * process of its own. A runtime process killed with SIGKILL (a worker crash)
 * leaves the tenant calling its model at once, the next runtime adopts it
 * with the same keeper, and a stack that ends while its worker is dead still
 * drains the tenant with its final snapshot, then ends the keeper. Real
 * sandboxes, real supervisors around the stand-in OpenClaw, real s3rver and a
 * fake model provider.
 */
import { strict as assert } from 'node:assert';
import { randomInt } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalRuntime } from '../../../local/local-runtime.js';
import { startTimeOf } from '../../../local/process-identity.js';
import { processesMentioning } from '../../../local/process-sweep.js';
import { releaseTenants } from '../../../local/release-tenants.js';
import { keeperMarker } from '../../../local/sandbox/egress-keeper-client.js';
import { SupervisorAgentClient } from '../../../runtime/supervisor-client.js';
import { newestSnapshot, PodLostRecorder } from '../../helpers/runtime-contract.js';
import { startS3, type TestS3 } from '../../helpers/s3.js';
import { testGrants, type TestGrants } from '../../helpers/snapshot-grants.js';
import { runtimeKilledWith, type HostedPod } from '../killed-runtime.js';
import type { HostSandbox } from '../runtime-host.js';
import { standInPlan } from '../stand-in-plan.js';

const UID_BASE = 370_000 + 300 * randomInt(0, 100);
/** A model call through the egress right after the kill: a turn's worth, not a worker's restart. */
const MODEL_CALL_BOUND_MS = 3_000;

/** A chat turn on the pod that makes its stand-in OpenClaw call the model provider. */
async function modelTurn(pod: HostedPod): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${pod.endpoint}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pod.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'openclaw/default',
      messages: [{ role: 'user', content: 'call-the-model' }],
    }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, text: await response.text(), ms: Date.now() - started };
}

/** The keeper itself (from source, tsx's esbuild service runs beside it with the same environment). */
async function keeperPids(dataDir: string): Promise<number[]> {
  const marked = await processesMentioning(keeperMarker(dataDir));
  const cmdlines = await Promise.all(
    marked.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')),
  );
  return marked.filter((_, i) => cmdlines[i]!.includes('egress-keeper-main'));
}

describe('sandboxed tenants keep their egress through a worker SIGKILL (the egress keeper)', function () {
  this.timeout(60_000);
  let s3: TestS3;
  let dataDir: string;
  let grants: TestGrants;
  let model: Server;
  let modelCalls = 0;
  let sandbox: HostSandbox;

  /** A runtime hosting one new sandboxed tenant, then SIGKILLed; each case draws its ports from its own range. */
  const oneTenantKilled = async (prefix: string, firstRange: number) => {
    const portBase = 24_000 + 40 * randomInt(firstRange, firstRange + 150);
    const tenant = `${prefix}-${Date.now().toString(36)}`;
    const hosted = await runtimeKilledWith({
      s3,
      dataDir,
      portBase,
      windowMs: 60_000,
      tenants: [tenant],
      sandbox,
    });
    return { portBase, tenant, hosted };
  };

  before(async () => {
    s3 = await startS3('sandboxed-worker-kill');
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-sbx-kill-'));
    grants = await testGrants(s3, join(dataDir, 'master.key'));
    model = createServer((request, response) => {
      request.resume();
      modelCalls++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'from the model' } }] }),
      );
    });
    await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
    const modelHost = `127.0.0.1:${(model.address() as { port: number }).port}`;
    // The stand-in in an install layout of its own: the sandbox binds the install, not the repo's test dir.
    const install = join(dataDir, 'install', 'node_modules', 'openclaw');
    await mkdir(install, { recursive: true });
    const standIn = join(install, 'openclaw.mjs');
    await copyFile(join(import.meta.dirname, '..', '..', 'supervisor', 'stand-in-openclaw.mjs'), standIn);
    sandbox = {
      uidBase: UID_BASE,
      egressAllow: [new URL(s3.endpoint).host, modelHost],
      modelUrl: `http://${modelHost}/v1`,
      standIn,
    };
  });
  after(async () => {
    await releaseTenants(dataDir, 10_000).catch(() => undefined); // whatever a failed test left
    grants?.close();
    model?.close();
    await s3?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A sandboxed runtime in this process, on the same data dir: the next worker. */
  function nextRuntime(portBase: number, hosted: readonly HostedPod[]): LocalRuntime {
    const tokens = new Map(hosted.map((p) => [p.podId, p.token]));
    const supervisor = new SupervisorAgentClient({ token: (handle) => tokens.get(handle.podId)! });
    return new LocalRuntime({
      dataDir,
      portBase,
      capacity: 4,
      plan: standInPlan(grants),
      events: new PodLostRecorder(),
      salvage: () => Promise.resolve(null),
      logger: pino({ level: 'silent' }),
      warmSupervisors: 0,
      stopGraceMs: 10_000,
      drain: (handle, options) => supervisor.drain(handle, options),
      sandbox: { uidBase: sandbox.uidBase, egressAllow: sandbox.egressAllow },
    });
  }

  it('a model call made right after the SIGKILL is answered at once; the next runtime adopts the tenant and the same keeper', async () => {
    const { portBase, tenant, hosted } = await oneTenantKilled('sk-a', 0);
    const [pod] = hosted as [HostedPod];
    const [keeper] = await keeperPids(dataDir);
    assert.ok(keeper, 'the egress keeper outlived the killed runtime');

    const calls = modelCalls;
    const turn = await modelTurn(pod);
    assert.equal(turn.status, 200, turn.text);
    assert.match(turn.text, /from the model/);
    assert.equal(modelCalls, calls + 1, 'the model was called through the egress');
    assert.ok(turn.ms < MODEL_CALL_BOUND_MS, `answered in ${turn.ms} ms with no worker running`);

    const runtime = nextRuntime(portBase, hosted);
    try {
      assert.deepEqual(await runtime.adoptRunning(), [pod.podId]);
      assert.equal(runtime.supervisorPid(tenant), pod.pid, 'the same sandboxed supervisor');
      assert.deepEqual(await keeperPids(dataDir), [keeper], 'the same keeper: its sockets never closed');
      assert.match((await modelTurn(pod)).text, /from the model/);
      const manifest = await runtime.stop(pod, { graceMs: 10_000 });
      assert.ok(manifest, 'the drain saved its snapshot through the egress');
      assert.equal(manifest.seq, (await newestSnapshot(grants.store, tenant))?.seq);
    } finally {
      await runtime.close();
    }
    assert.deepEqual(await processesMentioning(dataDir), [], 'no tenant process and no keeper left');
    assert.equal(startTimeOf(keeper), null, 'the keeper ended with the runtime’s close');
  });

  it('a stack that ends while its worker is dead drains the tenant with its final snapshot, then ends the keeper', async () => {
    const { tenant, hosted } = await oneTenantKilled('sk-b', 150);
    const [pod] = hosted as [HostedPod];
    const started = Date.now();
    await releaseTenants(dataDir, 30_000);
    const ms = Date.now() - started;
    assert.equal(startTimeOf(pod.pid), null, 'the supervisor is gone');
    assert.ok(await newestSnapshot(grants.store, tenant), 'it drained: its final snapshot went out');
    assert.ok(ms < 15_000, `released within a drain, not killed at the deadline (${ms} ms)`);
    assert.deepEqual(await keeperPids(dataDir), [], 'the keeper does not outlive the stack');
    assert.deepEqual(await processesMentioning(dataDir), []);
  });
});
