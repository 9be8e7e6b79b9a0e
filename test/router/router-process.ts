/**
 * The real router entry point (router/server.ts) in a child process, wired
 * to the harness's redis-server, dynalite and Temporal dev server through
 * the same environment variables production uses, with the router key file
 * and no master key. For tests about the process itself: SIGKILL, SIGTERM,
 * restart, what it holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { nodeArgs, PACKAGE_ROOT } from '../../common/entry-points.js';
import { listensOn } from '../../dev/listening.js';
import { freePort } from '../../dev/ports.js';
import { eventually, TEST_SETTINGS, type RouterHarness } from './router-harness.js';

export class RouterProcess {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    for (const stream of [child.stdout!, child.stderr!])
      stream.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * `routerKeyFile` @default the harness's (written from its platform keys, as the admin API does).
   * `listen.port` @default a free one; `listen.reusePort` shares it with other router processes.
   */
  static async start(
    h: RouterHarness,
    dataDir: string,
    routerKeyFile = h.routerKeyFile,
    listen: { port?: number; reusePort?: boolean } = {},
  ): Promise<RouterProcess> {
    const port = listen.port ?? (await freePort());
    // Like production: no master key setting reaches the router, not even from this test's environment.
    const { CLAWFLEET_MASTER_KEY_FILE: _none, ...inherited } = process.env;
    const env = {
      ...inherited,
      CLAWFLEET_DATA_DIR: dataDir,
      CLAWFLEET_LOG_LEVEL: 'warn',
      CLAWFLEET_REDIS_URL: h.redis.url,
      CLAWFLEET_TEMPORAL_ADDRESS: h.env.address,
      CLAWFLEET_TASK_QUEUE: TEST_SETTINGS.temporal.taskQueue,
      CLAWFLEET_DYNAMODB_ENDPOINT: h.dynamo.endpoint,
      CLAWFLEET_TABLE_PREFIX: h.dynamo.tables.tenants.replace(/tenants$/, ''),
      CLAWFLEET_AWS_CREDENTIALS: 'embedded',
      CLAWFLEET_ROUTER_KEY_FILE: routerKeyFile,
      CLAWFLEET_ROUTER_HOST: '127.0.0.1',
      CLAWFLEET_ROUTER_PORT: String(port),
      CLAWFLEET_ROUTER_REUSE_PORT: String(listen.reusePort ?? false),
      CLAWFLEET_ROUTER_FORWARD_TIMEOUT: TEST_SETTINGS.router.forwardTimeout,
      CLAWFLEET_ROUTER_CHAT_TIMEOUT: TEST_SETTINGS.router.chatTimeout,
    };
    const child = spawn(process.execPath, nodeArgs('router/server'), {
      cwd: PACKAGE_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const router = new RouterProcess(child, `http://127.0.0.1:${port}`);
    let gone = false;
    void router.exited.then(() => (gone = true));
    try {
      await eventually(
        async () => {
          if (gone) throw new Error(`router exited during start:\n${router.output}`);
          // On a shared port a sibling may answer /healthz: this process is up once it listens itself.
          if (listen.reusePort) return listensOn(child.pid!, port);
          return (await fetch(`${router.url}/healthz`).catch(() => null))?.ok === true;
        },
        'the router process answering /healthz',
        60_000,
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return router;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Recent stdout and stderr, for failure messages. */
  get log(): string {
    return this.output;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Stops the process if it still runs (test clean-up). */
  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }
}
