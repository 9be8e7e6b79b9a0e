/**
 * The runtime's side of the egress keeper (egress-keeper.ts): it reaches the
 * keeper of its data dir, or starts one (detached, in its own process group,
 * so a worker's SIGKILL or the dev stack's kill of the worker's group leaves
 * it serving), and opens and closes each sandbox's egress there. A keeper
 * that dies is started again within a check period and given every egress
 * this runtime had open. A worker that restarts finds the keeper it left.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { nodeArgs, PACKAGE_ROOT } from '../../common/entry-points.js';
import type { Logger } from '../../common/logger.js';
import { startTimeOf } from '../process-identity.js';
import { killProcessesOf } from '../process-sweep.js';
import type { EgressOpening } from './egress-keeper.js';

/** Where sandboxes get their egress from (egress-keeper.ts, behind its control socket). */
export interface EgressHost {
  open(opening: EgressOpening): Promise<void>;
  close(dir: string): Promise<void>;
}

export interface EgressKeeperClientOptions {
  readonly dataDir: string;
  readonly heartbeat: { readonly file: string; readonly windowMs: number };
  readonly logger?: Logger;
}

/** The environment variable that marks a keeper (and anything it runs) with its data dir. */
const KEEPER_MARKER_VARIABLE = 'CLAWFLEET_EGRESS_KEEPER';

/** What process-sweep.ts finds the keeper of `dataDir` by (release-tenants.ts ends it so at the stack's end). */
export function keeperMarker(dataDir: string): string {
  return `${KEEPER_MARKER_VARIABLE}=${dataDir}`;
}

/** A keeper answers within this or counts as gone (a start on a loaded 2-core host takes seconds). */
const ANSWER_MS = 10_000;
const START_WAIT_MS = 60_000;
const WATCH_MS = 2_000;

export class EgressKeeperClient implements EgressHost {
  private readonly opened = new Map<string, EgressOpening>();
  private reached: Promise<number> | undefined;
  /** Set once `reached` resolved: only a keeper that answered before can be found gone. */
  private keeperPid: number | undefined;
  private watch: NodeJS.Timeout | undefined;

  constructor(private readonly options: EgressKeeperClientOptions) {}

  get controlSocket(): string {
    return join(this.options.dataDir, 'egress-keeper', 'control.sock');
  }

  async open(opening: EgressOpening): Promise<void> {
    this.opened.set(opening.dir, opening);
    await this.ensure();
    await this.call('PUT', '/egress', opening);
  }

  async close(dir: string): Promise<void> {
    this.opened.delete(dir);
    if (!this.reached) return;
    await this.call('DELETE', '/egress', { dir }).catch(() => undefined);
  }

  /** A planned handover: the keeper keeps serving for the next runtime; this one stops watching it. */
  detach(): void {
    clearInterval(this.watch);
    this.watch = undefined;
  }

  /** The runtime's full close, after every tenant stopped: the keeper ends too (an earlier runtime's as well). */
  async stop(): Promise<void> {
    this.detach();
    const pid = (await this.reached?.catch(() => null)) ?? (await this.pid());
    this.reached = undefined;
    this.keeperPid = undefined;
    if (pid !== null) {
      const startTime = startTimeOf(pid);
      await this.call('POST', '/stop').catch(() => undefined);
      for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
        if (startTime === null || startTimeOf(pid) !== startTime) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    // Whatever still carries its marker: a keeper that did not stop, or a helper it ran (tsx's esbuild, from source).
    await killProcessesOf(keeperMarker(this.options.dataDir));
  }

  /** The keeper's pid, once one answers (started now if none did). */
  private ensure(): Promise<number> {
    this.reached ??= this.reachOrStart().then(
      (pid) => {
        this.keeperPid = pid;
        return pid;
      },
      (error: unknown) => {
        this.reached = undefined;
        throw error;
      },
    );
    this.watch ??= setInterval(() => void this.check(), WATCH_MS).unref();
    return this.reached;
  }

  private async reachOrStart(): Promise<number> {
    const running = await this.pid();
    if (running !== null) return running;
    const { dataDir, heartbeat } = this.options;
    const log = openSync(join(dataDir, 'egress-keeper.log'), 'a', 0o600);
    try {
      const args = [this.controlSocket, heartbeat.file, String(heartbeat.windowMs), join(dataDir, 'tenants')];
      spawn(process.execPath, nodeArgs('local/sandbox/egress-keeper-main', ...args), {
        cwd: PACKAGE_ROOT,
        // The marker release-tenants.ts ends it by; no secret, no tenant path.
        env: { PATH: process.env['PATH'], LANG: 'C.UTF-8', [KEEPER_MARKER_VARIABLE]: dataDir },
        stdio: ['ignore', log, log],
        detached: true,
      }).unref();
    } finally {
      closeSync(log);
    }
    for (const deadline = Date.now() + START_WAIT_MS; Date.now() < deadline;) {
      const pid = await this.pid();
      if (pid !== null) return pid;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the egress keeper did not start (see ${join(dataDir, 'egress-keeper.log')})`);
  }

  /** A keeper that died is started again and given back every egress this runtime has open. */
  private async check(): Promise<void> {
    if (this.keeperPid === undefined || (await this.pid()) !== null) return;
    this.options.logger?.warn({ pid: this.keeperPid }, 'egress keeper gone; starting it again');
    this.reached = undefined;
    this.keeperPid = undefined;
    try {
      await this.ensure();
      for (const opening of this.opened.values()) await this.call('PUT', '/egress', opening);
    } catch (err) {
      this.options.logger?.error({ err }, 'egress keeper not restarted');
    }
  }

  private async pid(): Promise<number | null> {
    const answer = await this.call('GET', '/healthz').catch(() => null);
    return answer ? (JSON.parse(answer) as { pid: number }).pid : null;
  }

  /** One control request; rejects unless the keeper answers 2xx within ANSWER_MS. */
  private call(method: string, path: string, body?: unknown): Promise<string> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      // An explicit length: Node sends a DELETE's body with neither a length nor chunked framing otherwise.
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
      const req = request(
        { socketPath: this.controlSocket, method, path, headers, timeout: ANSWER_MS },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(text);
            else reject(new Error(`egress keeper: ${method} ${path}: ${status} ${text}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`egress keeper: ${method} ${path}: no answer`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
