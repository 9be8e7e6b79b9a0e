/**
 * One real control plane (etcd + kube-apiserver + the garbage collector) per
 * mocha run, shared by the k8s suites and stopped by a root `after` hook.
 * Each suite gets its own namespace (labelled PodSecurity `restricted`, as
 * the deploy manifests label the tenant namespace) and the cluster-scoped
 * classes from k8s/deploy/cluster, applied for real. Missing binaries are
 * built (once per version) or the suite fails: never a silent skip.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CoreV1Api,
  KubernetesObjectApi,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import type { PodSpec } from '../../activities/ports.js';
import { deriveTenantForwardKey } from '../../common/forward-signature.js';
import { graceChain } from '../../common/grace.js';
import { DEFAULT_KUBE_OPTIONS, type KubeRuntimeOptions } from '../../k8s/options.js';
import type { PlanLaunch } from '../../k8s/pod-manifest.js';
import { buildLaunchPlan } from '../../runtime/launch-plan.js';
import type { TenantRecord } from '../../registry/tenant-record.js';
import { GRANT_FORMAT, type SnapshotGrant } from '../../snapshots/grant.js';
import { startCluster, type TestCluster } from '../../scripts/kube/cluster.js';

export const DEPLOY_DIR = join(import.meta.dirname, '..', '..', 'k8s', 'deploy');
export const quietLogger = pino({ level: 'silent' });

let cluster: Promise<TestCluster> | undefined;

/** The shared cluster; the first call starts it (and builds the binaries when missing). */
export function kubeCluster(): Promise<TestCluster> {
  cluster ??= (async () => {
    const started = await startCluster({ log: (line) => console.log(`  [kube] ${line}`) });
    await applyDir(started.kubeConfig, join(DEPLOY_DIR, 'cluster'));
    return started;
  })();
  return cluster;
}

after(async function () {
  this.timeout(30_000);
  if (cluster) await (await cluster).stop();
});

/** Reads every YAML document of the files a kustomization lists (no kustomize needed). */
export async function kustomizationObjects(dir: string): Promise<KubernetesObject[]> {
  const kustomization = loadAllYaml(await readFile(join(dir, 'kustomization.yaml'), 'utf8'))[0] as {
    resources: string[];
  };
  const objects: KubernetesObject[] = [];
  for (const file of kustomization.resources)
    objects.push(...(loadAllYaml(await readFile(join(dir, file), 'utf8')) as KubernetesObject[]));
  return objects;
}

async function applyDir(kubeConfig: KubeConfig, dir: string): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const object of await kustomizationObjects(dir))
    await api.create(object).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
}

export async function freshNamespace(kubeConfig: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubeConfig.makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  });
  return name;
}

export function testOptions(
  namespace: string,
  overrides: Partial<KubeRuntimeOptions> = {},
): KubeRuntimeOptions {
  return {
    ...DEFAULT_KUBE_OPTIONS,
    namespace,
    readyTimeoutMs: 20_000,
    terminationGraceSeconds: 30,
    ...overrides,
  };
}

/** The real launch planner with a registered-looking tenant and fixed test secrets. */
export const testPlan: PlanLaunch = (pod, placement, rootDir) =>
  buildLaunchPlan({
    pod,
    tenant: { tenantId: pod.tenantId, secretRefs: {}, channels: {} } as unknown as TenantRecord,
    placement,
    rootDir,
    platform: {
      openclaw: { node: '/usr/local/bin/node', entry: '/opt/openclaw/node_modules/openclaw/openclaw.mjs' },
      model: { provider: 'openai', gatewayUrl: 'http://127.0.0.1:9/v1', modelId: 'test' },
      telegramApiRoot: 'http://127.0.0.1:9',
      publicUrl: 'http://127.0.0.1:8080',
      snapshotGrant: (tenantId) => emptyStoreGrant(tenantId),
      forwardKey: (tenantId) => Promise.resolve(testForwardKey(tenantId)),
      logLevel: 'info',
      grace: graceChain(30_000),
    },
    resolveSecret: (name) => Promise.resolve(`test-${name}-${pod.tenantId}`),
  });

/** A fixed per-tenant forwarding key (base64url), as the worker's secret store would derive one. */
export const testForwardKey = (tenantId: string) =>
  deriveTenantForwardKey(Buffer.alloc(32, 7), tenantId).toString('base64url');

let emptyStore: Promise<string> | undefined;

/**
 * A well-formed snapshot grant whose listing URL is a local stub answering
 * "no snapshots": a claimed warm pod's real supervisor (stand-in OpenClaw)
 * restores nothing and starts fresh, without S3 in the fast suites.
 */
async function emptyStoreGrant(tenantId: string): Promise<string> {
  emptyStore ??= new Promise((resolve) => {
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/xml' }).end('<ListBucketResult></ListBucketResult>'),
    );
    server.unref();
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
  const now = Date.now();
  const grant: SnapshotGrant = {
    format: GRANT_FORMAT,
    tenantId,
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 3_600_000).toISOString(),
    list: `${await emptyStore}/list`,
    get: {},
    put: {},
    dataKeys: { current: 'test-key', keys: { 'test-key': randomBytes(32).toString('base64') } },
  };
  return JSON.stringify(grant);
}

let counter = 0;
export function podSpec(tenantId: string, generation = 1, overrides: Partial<PodSpec> = {}): PodSpec {
  return {
    tenantId,
    podId: `${tenantId}-${generation}`,
    tier: 'standard',
    openclawVersion: '2026.9.6',
    snapshotSeq: null,
    secretRef: tenantId,
    ...overrides,
  };
}

export function uniqueTenant(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${counter++}`;
}
