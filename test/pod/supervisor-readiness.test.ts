/**
 * How a runtime learns that a tenant is ready, and the first delivery after
 * that: the `/readyz?waitMs=` long poll and the retry over OpenClaw's short
 * "listening but no ingress queue yet" window. Real supervisor process,
 * stand-in OpenClaw child.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { testGrants, type TestGrants } from '../helpers/snapshot-grants.js';
import { freePort } from '../local/gateway-process.js';
import { startSupervisor, type SupervisorProcess } from './supervisor-process.js';

const STAND_IN = join(import.meta.dirname, 'stand-in-openclaw.mjs');

describe('supervisor readiness long poll and first delivery', function () {
  this.timeout(60_000);

  let s3: TestS3;
  let dir: string;
  let grants: TestGrants;
  const running: SupervisorProcess[] = [];
  const secrets = {
    supervisorToken: randomBytes(24).toString('hex'),
    gatewayToken: randomBytes(24).toString('hex'),
    telegramBotToken: '123:stand-in',
    telegramWebhookSecret: randomBytes(16).toString('hex'),
    modelApiKey: 'unused',
  };

  before(async () => {
    s3 = await startS3('pod-readiness');
    dir = await mkdtemp(join(tmpdir(), 'clawfleet-readiness-'));
    grants = await testGrants(s3, join(dir, 'master.key'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop(10_000)));
  });

  after(async () => {
    grants?.close();
    await s3?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function launch(tenantId: string, control: Record<string, unknown>) {
    const root = join(dir, tenantId);
    const [port, gatewayPort, webhookPort] = await Promise.all([freePort(), freePort(), freePort()]);
    await mkdir(join(root, 'pod'), { recursive: true });
    await writeFile(join(root, 'pod', 'stand-in.json'), JSON.stringify(control));
    const supervisor = await startSupervisor(
      root,
      {
        tenantId,
        listen: { host: '127.0.0.1', port },
        gateway: { host: '127.0.0.1', port: gatewayPort },
        rootDir: join(root, 'pod'),
        openclaw: { version: 'stand-in', node: process.execPath, entry: STAND_IN },
        provider: { name: 'fake', baseUrl: 'http://127.0.0.1:1/v1', modelId: 'fake-model' },
        telegram: { webhookUrl: `http://127.0.0.1:1/tg/${tenantId}`, webhookPort },
        snapshots: {},
        crashLoop: { maxCrashes: 2, windowMs: 60_000, backoffMs: 100 },
      },
      { ...secrets, snapshotGrant: await grants.issue(tenantId) },
    );
    running.push(supervisor);
    const events = async () =>
      (await readFile(join(root, 'pod', 'stand-in-events.log'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[0]!);
    return { supervisor, events };
  }

  it('holds GET /readyz?waitMs= until the gateway is ready, while a plain probe answers at once', async () => {
    const { supervisor } = await launch('long-poll-tenant', {});
    const plain = await supervisor.api('/readyz', { token: null });
    assert.equal(plain.status, 503, 'right after listening the gateway is still starting');
    const held = await supervisor.api('/readyz?waitMs=20000', { token: null });
    assert.equal(held.status, 200);
    assert.equal(((await held.json()) as { state: string }).state, 'ready');
  });

  it('answers the long poll with 503 and the crash loop instead of holding it to the end', async () => {
    const { supervisor } = await launch('crash-poll-tenant', { crashBoots: 10 });
    const t0 = Date.now();
    const held = await supervisor.api('/readyz?waitMs=20000', { token: null });
    assert.equal(held.status, 503);
    assert.equal(((await held.json()) as { state: string }).state, 'crash-loop');
    assert.ok(Date.now() - t0 < 15_000, `answered after ${Date.now() - t0} ms`);
  });

  it('retries a delivery refused with 500 while the webhook ingress is not ready, then acks it durably', async () => {
    const { supervisor, events } = await launch('ingress-tenant', { ingressNotReadyMs: 400 });
    assert.equal((await supervisor.api('/readyz?waitMs=20000')).status, 200);
    const update = JSON.stringify({ update_id: 11, message: { text: 'first after wake' } });
    const response = await supervisor.api('/deliver/telegram', { method: 'POST', body: update });
    assert.equal(response.status, 200);
    assert.ok((await events()).includes('ingress-500'), 'the first attempt met the not-ready window');
  });
});
