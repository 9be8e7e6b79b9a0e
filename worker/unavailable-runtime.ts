/**
 * The runtime the worker uses while no tenant runtime is built into it yet
 * (the local runtime and the Kubernetes runtime land with issues 4 and 7).
 * Every call fails permanently with a message that says so, which the tenant
 * workflow turns into the `failed` phase, visible in the Web UI, instead of
 * retrying forever. It never pretends to run an agent.
 */
import { PermanentPortError } from '../activities/errors.js';
import type { AgentPort, RuntimePort } from '../activities/ports.js';

export function unavailableRuntime(kind: string): { runtime: RuntimePort; agent: AgentPort } {
  const fail = (): never => {
    throw new PermanentPortError(
      'RUNTIME_UNAVAILABLE',
      `the ${kind} tenant runtime is not available in this build; tenants can be registered and signalled but not run yet`,
    );
  };
  const failing = async (): Promise<never> => Promise.resolve().then(fail);
  return {
    runtime: { launch: failing, stop: failing, describe: failing },
    agent: { deliver: failing, activity: failing, snapshot: failing },
  };
}
