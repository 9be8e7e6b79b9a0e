/**
 * A local runtime in a process of its own (runtime-host.ts), killed the way a
 * worker dies: its pods are launched and serving, then the process gets
 * `signal` (SIGKILL: a crash; SIGTERM: a planned handover).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PodHandle } from '../../activities/ports.js';
import type { TestS3 } from '../helpers/s3.js';
import type { HostSandbox } from './runtime-host.js';

const HOST = join(import.meta.dirname, 'runtime-host.ts');

export interface HostedPod extends PodHandle {
  readonly pid: number;
  readonly token: string;
}

export interface KilledRuntime {
  readonly s3: TestS3;
  readonly dataDir: string;
  readonly portBase: number;
  readonly windowMs: number;
  readonly tenants: readonly string[];
  readonly signal?: NodeJS.Signals;
  /** Run the tenants sandboxed (local/sandbox/), on the stand-in at `standIn`. */
  readonly sandbox?: HostSandbox;
}

/** Starts a runtime process with pods for `tenants`, waits for them to serve, then kills it. */
export async function runtimeKilledWith(options: KilledRuntime): Promise<HostedPod[]> {
  const { s3, dataDir, portBase, windowMs, tenants, sandbox } = options;
  const host = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      HOST,
      dataDir,
      String(portBase),
      String(windowMs),
      s3.endpoint,
      s3.bucket,
      ...tenants,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...(sandbox && { RUNTIME_HOST_SANDBOX: JSON.stringify(sandbox) }) },
    },
  );
  const [line] = await Promise.race([
    createInterface({ input: host.stdout })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]),
    new Promise<never>((_, reject) =>
      host.once('exit', (code) => reject(new Error(`runtime host exited ${code}`))),
    ),
  ]);
  const { pods } = JSON.parse(line!) as { pods: HostedPod[] };
  const exited = new Promise((resolve) => host.once('exit', resolve));
  host.kill(options.signal ?? 'SIGKILL');
  await exited;
  return pods;
}
