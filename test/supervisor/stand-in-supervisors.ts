/**
 * Real supervisor processes (supervisor/main.ts) around the stand-in OpenClaw child
 * (stand-in-openclaw.mjs), with s3rver and snapshot grants: the set-up every
 * supervisor test without a real gateway shares. Registers its own mocha hooks.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { testGrants, type TestGrants } from '../helpers/snapshot-grants.js';
import { freePort } from '../local/gateway-process.js';
import { eventually, startSupervisor, type SpecInput, type SupervisorProcess } from './supervisor-process.js';

const STAND_IN = join(import.meta.dirname, 'stand-in-openclaw.mjs');

export interface StandInEvent {
  readonly name: string;
  readonly at: number;
}

export function useStandInSupervisors(name: string) {
  let s3: TestS3;
  let dir: string;
  let grants: TestGrants;
  const running: SupervisorProcess[] = [];
  const secrets = {
    supervisorToken: randomBytes(24).toString('hex'),
    gatewayToken: randomBytes(24).toString('hex'),
    telegramBotToken: '123:stand-in',
    telegramWebhookSecret: randomBytes(16).toString('hex'),
    modelToken: 'unused',
  };

  before(async () => {
    s3 = await startS3(name);
    dir = await mkdtemp(join(tmpdir(), `clawfleet-${name}-`));
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

  /** A supervisor for `tenantId` whose child follows `control` (see stand-in-openclaw.mjs). */
  async function launch(tenantId: string, control: Record<string, unknown>, extra: Partial<SpecInput> = {}) {
    const root = join(dir, tenantId);
    const [port, gatewayPort, webhookPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const spec: SpecInput = {
      tenantId,
      listen: { host: '127.0.0.1', port },
      gateway: { host: '127.0.0.1', port: gatewayPort },
      rootDir: join(root, 'pod'),
      openclaw: { version: 'stand-in', node: process.execPath, entry: STAND_IN },
      provider: { name: 'fake', baseUrl: 'http://127.0.0.1:1/v1', modelId: 'fake-model' },
      telegram: { webhookUrl: `http://127.0.0.1:1/tg/${tenantId}`, webhookPort },
      snapshots: {},
      crashLoop: { maxCrashes: 3, windowMs: 60_000, backoffMs: 300 },
      ...extra,
    };
    await mkdir(join(root, 'pod'), { recursive: true });
    await writeFile(join(root, 'pod', 'stand-in.json'), JSON.stringify(control));
    const supervisor = await startSupervisor(root, spec, {
      ...secrets,
      snapshotGrant: await grants.issue(tenantId),
    });
    running.push(supervisor);
    /** What the stand-in child did, in order (boot, sigterm, exit, ingress-500, ...). */
    const events = async (): Promise<StandInEvent[]> =>
      (await readFile(join(root, 'pod', 'stand-in-events.log'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ name: line.split(' ')[0]!, at: Number(line.split(' ')[1]) }));
    const ready = () =>
      eventually(
        async () => ((await supervisor.api('/readyz')).status === 200 ? true : undefined),
        30_000,
        'ready',
      );
    return { supervisor, spec, root, events, ready };
  }

  return {
    launch,
    secrets,
    /** The worker's full-access snapshot store (reads what the supervisors saved). */
    store: () => grants.store,
    dir: () => dir,
  };
}
