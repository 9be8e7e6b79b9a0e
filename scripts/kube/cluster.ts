/**
 * A real, minimal Kubernetes control plane on loopback for tests and local
 * experiments: etcd, kube-apiserver (envtest-style flags, one admin token,
 * RBAC on) and kube-controller-manager running the garbage collector and the
 * Deployment and ReplicaSet controllers, so owner references and the warm
 * pool's Deployments behave as in a cluster. There is no scheduler and no
 * kubelet: test/k8s/test-kubelet.ts binds pods and reports their status.
 *
 * The binaries come from scripts/kube/build.sh (built from Go modules and
 * cached per version under ~/.cache/clawfleet/kube); `ensureKubeBinaries`
 * runs it when they are missing, so a fresh machine pays the build once.
 *
 *   npx tsx scripts/kube/cluster.ts   # start, print KUBECONFIG, Ctrl-C stops
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, fetch } from 'undici';
import { ManagedProcess } from '../../dev/managed-process.js';
import { freePort, waitUntil } from '../../dev/ports.js';

export const KUBE_VERSION = 'v1.37.2';
export const ETCD_VERSION = 'v3.7.3';
const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'build.sh');
const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;

export function kubeBinDir(): string {
  const cache = process.env['CLAWFLEET_KUBE_CACHE'] ?? join(homedir(), '.cache', 'clawfleet', 'kube');
  return join(cache, `${KUBE_VERSION}-etcd${ETCD_VERSION}`, 'bin');
}

/** Builds the binaries once per version (10–20 min cold on 2 cores); a failed build throws. */
export async function ensureKubeBinaries(log: (line: string) => void = () => {}): Promise<string> {
  const dir = kubeBinDir();
  const missing = [];
  for (const name of BINARIES) if (!(await exists(join(dir, name)))) missing.push(name);
  if (missing.length === 0) return dir;
  log(`building ${missing.join(', ')} with ${BUILD_SCRIPT} (once per version; see docs/kubernetes.md)`);
  const env = { ...process.env, KUBE_VERSION, ETCD_VERSION };
  const child = spawn('bash', [BUILD_SCRIPT], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0)
    throw new Error(`${BUILD_SCRIPT} failed (exit ${code}); kube binaries missing: ${missing.join(', ')}`);
  return dir;
}

export interface TestCluster {
  readonly kubeConfig: KubeConfig;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly workDir: string;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Run kube-controller-manager's garbage collector (owner references). @default true */
  readonly garbageCollector?: boolean;
  readonly log?: (line: string) => void;
}

export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const bin = await ensureKubeBinaries(options.log);
  const workDir = await mkdtemp(join(tmpdir(), 'clawfleet-kube-'));
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop(5_000);
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    processes.push(
      ManagedProcess.start({
        name: 'etcd',
        command: join(bin, 'etcd'),
        args: [
          `--data-dir=${join(workDir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=default=${peerUrl}`,
          '--unsafe-no-fsync', // test data: durability is not the point, speed on a shared disk is
        ],
        logFile: join(workDir, 'etcd.log'),
      }),
    );
    const token = randomBytes(24).toString('hex');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(workDir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(workDir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(join(workDir, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`, {
      mode: 0o600,
    });
    await mkdir(join(workDir, 'certs'));
    processes.push(
      ManagedProcess.start({
        name: 'kube-apiserver',
        command: join(bin, 'kube-apiserver'),
        args: [
          `--etcd-servers=${etcdUrl}`,
          `--cert-dir=${join(workDir, 'certs')}`,
          `--secure-port=${apiPort}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          // 1.37 refuses a loopback advertise address for the `kubernetes` Service endpoints otherwise.
          '--endpoint-reconciler-type=none',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          '--authorization-mode=RBAC',
          '--disable-admission-plugins=ServiceAccount',
          `--token-auth-file=${join(workDir, 'tokens.csv')}`,
          `--service-account-key-file=${join(workDir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(workDir, 'sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc',
        ],
        logFile: join(workDir, 'kube-apiserver.log'),
      }),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = join(workDir, 'kubeconfig');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'test', server, skipTLSVerify: true }],
      users: [{ name: 'admin', token }],
      contexts: [{ name: 'test', cluster: 'test', user: 'admin', namespace: 'default' }],
      currentContext: 'test',
    });
    await writeFile(kubeconfigPath, kubeConfig.exportConfig(), { mode: 0o600 });
    const apiserver = processes[1]!;
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    await waitUntil(
      async () => {
        // Self-signed serving certificate generated into cert-dir; loopback only.
        const response = await fetch(`${server}/readyz`, {
          headers: { authorization: `Bearer ${token}` },
          dispatcher: insecure,
        });
        return response.ok;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 250,
        what: `kube-apiserver (log: ${join(workDir, 'kube-apiserver.log')})`,
        abort: () =>
          apiserver.running
            ? undefined
            : `${apiserver.describeExit()}: ${logTail(join(workDir, 'kube-apiserver.log'))}`,
      },
    );
    await insecure.close();
    if (options.garbageCollector ?? true)
      processes.push(
        ManagedProcess.start({
          name: 'kube-controller-manager',
          command: join(bin, 'kube-controller-manager'),
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            // The warm pool is a Deployment per tier: its controllers refill the pool after each claim.
            '--controllers=garbagecollector,deployment,replicaset',
            '--leader-elect=false',
            '--secure-port=0',
          ],
          logFile: join(workDir, 'kube-controller-manager.log'),
        }),
      );
    return { kubeConfig, kubeconfigPath, server, workDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The last lines of a component's log, for a start failure that must explain itself. */
function logTail(file: string): string {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines.slice(-3).join(' | ');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cluster = await startCluster({ log: console.error });
  console.log(`export KUBECONFIG=${cluster.kubeconfigPath}  # ${cluster.server}; logs in ${cluster.workDir}`);
  const shutdown = () => void cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
