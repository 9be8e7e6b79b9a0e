/**
 * Real supervisor processes (supervisor/main.ts) around the real OpenClaw, with the
 * fake LLM, fake Telegram Bot API, s3rver and snapshot grants: the set-up the
 * supervisor tests with a real gateway (and bench:probe) share. Nothing it
 * started outlives `close()`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { ensureOpenClaw, type OpenClawInstall } from '../../dev/openclaw-install.js';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { gatewayEnv } from '../../supervisor/gateway-launch.js';
import { parseSpec, podPaths } from '../../supervisor/supervisor-config.js';
import { startS3 } from '../helpers/s3.js';
import { testGrants, type TestGrants } from '../helpers/snapshot-grants.js';
import { freePort } from '../local/gateway-process.js';
import {
  processesMentioning,
  startSupervisor,
  type SpecInput,
  type SupervisorProcess,
} from './supervisor-process.js';

export interface OpenClawSupervisor {
  readonly process: SupervisorProcess;
  readonly spec: SpecInput;
  /** OPENCLAW_STATE_DIR of its gateway. */
  readonly stateDir: string;
  /** The gateway's own environment: what an `openclaw` CLI call next to it needs. */
  readonly env: NodeJS.ProcessEnv;
}

export interface SuiteSecrets {
  readonly supervisorToken: string;
  readonly gatewayToken: string;
  readonly telegramBotToken: string;
  readonly telegramWebhookSecret: string;
  readonly modelToken: string;
}

export interface OpenClawSuite {
  readonly secrets: SuiteSecrets;
  readonly install: OpenClawInstall;
  readonly llm: FakeLlm;
  readonly telegram: FakeTelegram;
  readonly dir: string;
  /** The worker's side of snapshots: issues grants, reads what supervisors saved. */
  readonly grants: TestGrants;
  /** A supervisor in `<dir>/<label>`, once its gateway answers `/readyz`. */
  launch(label: string, overrides?: Partial<SpecInput>): Promise<OpenClawSupervisor>;
  close(): Promise<void>;
}

export async function startOpenClawSuite(name: string, tenantId: string): Promise<OpenClawSuite> {
  const install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir });
  const [llm, telegram, s3, dir] = await Promise.all([
    startFakeLlm(),
    startFakeTelegram(),
    startS3(name),
    mkdtemp(join(tmpdir(), `clawfleet-${name}-`)),
  ]);
  const grants = await testGrants(s3, join(dir, 'master.key'));
  const running = new Set<SupervisorProcess>();
  const secrets: SuiteSecrets = {
    supervisorToken: randomBytes(24).toString('hex'),
    gatewayToken: randomBytes(24).toString('hex'),
    telegramBotToken: '654321:fake-pod-bot',
    telegramWebhookSecret: randomBytes(16).toString('hex'),
    modelToken: 'fake-key',
  };

  async function launch(label: string, overrides: Partial<SpecInput> = {}): Promise<OpenClawSupervisor> {
    const [port, gatewayPort, webhookPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const started = Date.now();
    const spec: SpecInput = {
      tenantId,
      listen: { host: '127.0.0.1', port },
      gateway: { host: '127.0.0.1', port: gatewayPort },
      rootDir: join(dir, label, 'pod'),
      openclaw: { version: install.version, node: install.node, entry: install.entry },
      provider: { name: 'fake', baseUrl: llm.url, modelId: 'fake-model' },
      telegram: { webhookUrl: `http://127.0.0.1:1/tg/${tenantId}`, webhookPort, apiRoot: telegram.url },
      snapshots: {},
      ...overrides,
    };
    const launched = await startSupervisor(join(dir, label), spec, {
      ...secrets,
      snapshotGrant: await grants.issue(tenantId),
    });
    running.add(launched);
    void launched.exited.then(() => running.delete(launched));
    const deadline = Date.now() + 180_000;
    while ((await launched.api('/readyz')).status !== 200) {
      if (launched.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`supervisor ${label} never became ready:\n${launched.output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`    [pod] ${label}: ready ${((Date.now() - started) / 1000).toFixed(1)} s after launch`);
    const parsed = parseSpec(spec);
    return {
      process: launched,
      spec,
      stateDir: podPaths(parsed).stateDir,
      env: gatewayEnv({ spec: parsed, secrets }),
    };
  }

  async function close(): Promise<void> {
    try {
      await Promise.all([...running].map((p) => p.stop(90_000)));
      // Last resort: nothing started for this suite may outlive it.
      for (const pid of await processesMentioning(dir)) process.kill(pid, 'SIGKILL');
    } finally {
      grants.close();
      await Promise.allSettled([llm.close(), telegram.close(), s3.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  }

  return { secrets, install, llm, telegram, dir, grants, launch, close };
}

/** The suite for one mocha `describe`: started in `before`, closed in `after`. */
export function useOpenClawSupervisors(name: string, tenantId: string): () => OpenClawSuite {
  let suite: OpenClawSuite | undefined;
  before(async () => {
    suite = await startOpenClawSuite(name, tenantId);
  });
  after(() => suite?.close());
  return () => suite!;
}
