/**
 * How the local driver starts a tenant's supervisor with the sandbox on: in
 * the slot's pre-built sandbox when the pool had one and it fits the launch
 * (warm-sandboxes.ts; the driver has admitted the tenant into it already),
 * else in a sandbox built for the launch now.
 */
import { LaunchedPod, type LaunchedPodInput } from '../launched-pod.js';
import type { SlotSandboxes } from './slot-sandboxes.js';
import type { TenantSandbox } from './tenant-sandbox.js';
import type { WarmSandbox, WarmSandboxes } from './warm-sandboxes.js';

export interface SandboxedStartInput {
  readonly sandboxes: SlotSandboxes;
  readonly pool: WarmSandboxes;
  readonly heartbeatFile: string;
  readonly slot: number;
  readonly launch: Omit<LaunchedPodInput, 'sandbox'>;
  /** The slot's pre-built sandbox, taken from the pool and admitted for this tenant (SlotSandboxes.admit). */
  readonly warm: WarmSandbox | undefined;
}

export async function startSandboxed(
  input: SandboxedStartInput,
): Promise<{ pod: LaunchedPod; sandbox: TenantSandbox }> {
  const { sandboxes, pool, warm, launch } = input;
  const template = await sandboxes
    .template(launch.plan, input.heartbeatFile)
    .catch(async (error: unknown) => {
      if (warm) await pool.dismiss(warm);
      throw error;
    });
  pool.remember(template);
  if (warm && pool.fits(warm, template)) {
    const pod = await LaunchedPod.start(launch, warm.process, false).catch(async (error: unknown) => {
      await warm.sandbox.close();
      throw error;
    });
    return { pod, sandbox: warm.sandbox };
  }
  if (warm) await pool.dismiss(warm); // built for another template: torn down, the slot stays this launch's
  const built = await sandboxes.build(input.slot, launch.spec, launch.plan, launch.rootDir, template);
  const pod = await LaunchedPod.start({ ...launch, sandbox: built.start }).catch(async (error: unknown) => {
    await built.sandbox.close();
    throw error;
  });
  return { pod, sandbox: built.sandbox };
}
