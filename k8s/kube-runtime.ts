/**
 * The Kubernetes runtime: the lifecycle core (runtime/pod-lifecycle.ts) over
 * the Kubernetes driver (kube-driver.ts). A stop drains through the
 * supervisor before the pod is deleted, as on the local runtime, so the final
 * snapshot (taken after OpenClaw stopped) comes back to the stop activity
 * and is recorded; deleting a pod alone would leave that snapshot unrecorded.
 */
import type { Logger } from '../common/logger.js';
import type { Drain } from '../runtime/driver.js';
import { PodLifecycle } from '../runtime/pod-lifecycle.js';
import { KubeDriver, type KubeDriverDeps, type KubePod } from './kube-driver.js';

export interface KubeRuntimeDeps extends KubeDriverDeps {
  readonly logger: Logger;
  /** The supervisor client's drain (runtime/supervisor-client.ts); without it a stop only deletes the pod. */
  readonly drain?: Drain;
}

export class KubernetesRuntime extends PodLifecycle<KubePod> {
  constructor(deps: KubeRuntimeDeps) {
    super(new KubeDriver(deps), {
      ...(deps.drain ? { drain: deps.drain } : {}),
      replaceGraceMs: deps.options.terminationGraceSeconds * 1000,
      logger: deps.logger,
    });
  }
}
