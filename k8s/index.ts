/**
 * The Kubernetes runtime as the worker wires it: the RuntimePort adapter, the
 * warm pool (when a tier has one) and the pod watcher, from configuration.
 * The worker passes the launch planner (runtime/launch-plan.ts bound to the
 * registry and secret store) and the runtime events port.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { RuntimeEvents } from '../activities/ports.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { KubernetesRuntime, type KubeRuntimeDeps } from './kube-runtime.js';
import { kubeOptionsFromConfig, type KubeRuntimeOptions } from './options.js';
import type { PlanLaunch } from './pod-manifest.js';
import { PodWatcher } from './pod-watcher.js';
import { WarmPool } from './warm-pool.js';

export { AGENT_LAYOUT, type KubeRuntimeOptions } from './options.js';
export { POD_PLACEMENT, type PlanLaunch } from './pod-manifest.js';
export { KubernetesRuntime } from './kube-runtime.js';
export { PodWatcher } from './pod-watcher.js';
export { WarmPool } from './warm-pool.js';

export interface KubernetesRuntimeDeps {
  readonly logger: Logger;
  readonly plan: PlanLaunch;
  /** Lost pods are reported here (the worker turns them into `podLost` signals). */
  readonly events: RuntimeEvents;
  /** The supervisor client's drain, so a stop returns the final snapshot (kube-runtime.ts). */
  readonly drain?: KubeRuntimeDeps['drain'];
  /** Default: `KubeConfig.loadFromDefault()` (KUBECONFIG, ~/.kube/config, or the in-cluster service account). */
  readonly kubeConfig?: KubeConfig;
  /** Overrides on top of the configuration (tests). */
  readonly options?: Partial<KubeRuntimeOptions>;
  /** @default 60000 */
  readonly resyncMs?: number;
}

export interface KubernetesRuntimeHandle {
  readonly runtime: KubernetesRuntime;
  readonly warmPool: WarmPool | undefined;
  readonly watcher: PodWatcher;
  readonly options: KubeRuntimeOptions;
  /** Stops the watcher; pods keep running (their workflows own them). */
  close(): Promise<void>;
}

/** Builds the adapters and starts the watcher (resolves after its first list). */
export async function createKubernetesRuntime(
  config: Pick<Config, 'k8s' | 'runtime'>,
  deps: KubernetesRuntimeDeps,
): Promise<KubernetesRuntimeHandle> {
  const options = { ...kubeOptionsFromConfig(config), ...deps.options };
  const kubeConfig = deps.kubeConfig ?? defaultKubeConfig();
  const logger = deps.logger.child({ component: 'k8s-runtime' });
  // A tier set to 0 still gets its (scaled-down) Deployment; tiers not named are left alone.
  const hasPool = Object.keys(options.warmPool).length > 0;
  const warmPool = hasPool ? new WarmPool({ kubeConfig, options, plan: deps.plan, logger }) : undefined;
  const runtime = new KubernetesRuntime({
    kubeConfig,
    options,
    plan: deps.plan,
    logger,
    ...(warmPool ? { warmPool } : {}),
    ...(deps.drain ? { drain: deps.drain } : {}),
  });
  const watcher = new PodWatcher({
    kubeConfig,
    namespace: options.namespace,
    logger: deps.logger.child({ component: 'k8s-watcher' }),
    events: deps.events,
    ...(deps.resyncMs ? { resyncMs: deps.resyncMs } : {}),
  });
  await watcher.start();
  // Without its pool a tier launches cold, so a worker that cannot create it (RBAC, quota) still serves.
  await warmPool?.ensure().catch((error: unknown) => logger.warn({ err: error }, 'warm pool not ensured'));
  return { runtime, warmPool, watcher, options, close: () => watcher.stop() };
}

function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}
