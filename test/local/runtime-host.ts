/**
 * A local runtime in a process of its own, as a worker holds one: it launches
 * the stand-in pods named on its command line, prints one JSON line with
 * each pod's id, pid, endpoint and supervisor token, and serves until it is
 * killed. Used to kill a runtime the way a worker dies (SIGKILL), which no
 * in-process runtime can show.
 *
 *   tsx runtime-host.ts <dataDir> <portBase> <adoptWindowMs> <s3Endpoint> <bucket> <tenant>...
 *
 * With `RUNTIME_HOST_SANDBOX` (JSON, `HostSandbox`) the tenants run sandboxed.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalRuntime } from '../../local/local-runtime.js';
import { testGrants } from '../helpers/snapshot-grants.js';
import { standInPlan, standInSpec } from './stand-in-plan.js';

/** A sandboxed host: the slot uids, the egress allowlist, the model its stand-ins call, and the stand-in's path. */
export interface HostSandbox {
  readonly uidBase: number;
  readonly egressAllow: readonly string[];
  readonly modelUrl: string;
  /** The stand-in OpenClaw in an install layout of its own (the sandbox binds the install, not the repo). */
  readonly standIn: string;
}

const [dataDir, portBase, adoptWindowMs, endpoint, bucket, ...tenants] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  ...string[],
];
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
const grants = await testGrants(
  { client, bucket, endpoint, close: () => Promise.resolve() },
  join(dataDir, 'master.key'),
);
const tokens = new Map<string, string>();
const plan = standInPlan(grants);
const sandbox = process.env['RUNTIME_HOST_SANDBOX']
  ? (JSON.parse(process.env['RUNTIME_HOST_SANDBOX']) as HostSandbox)
  : null;
const runtime = new LocalRuntime({
  dataDir,
  portBase: Number(portBase),
  capacity: 4,
  plan: async (pod, placement, rootDir) => {
    const planned = await plan(pod, placement, rootDir);
    tokens.set(pod.podId, planned.secrets.supervisorToken!);
    if (!sandbox) return planned;
    const provider = { ...planned.spec.provider, baseUrl: sandbox.modelUrl };
    const openclaw = { ...planned.spec.openclaw, entry: sandbox.standIn };
    return { ...planned, spec: { ...planned.spec, provider, openclaw } };
  },
  ...(sandbox && { sandbox: { uidBase: sandbox.uidBase, egressAllow: sandbox.egressAllow } }),
  events: { podLost: () => Promise.resolve() },
  salvage: () => Promise.resolve(null),
  logger: pino({ level: 'silent' }),
  warmSupervisors: 0,
  adoptWindowMs: Number(adoptWindowMs),
});
const pods = await Promise.all(
  tenants.map(async (tenantId) => {
    const handle = await runtime.launch(standInSpec(tenantId, 1));
    return { ...handle, pid: runtime.supervisorPid(tenantId), token: tokens.get(handle.podId) };
  }),
);
// A planned stop (a deploy) hands the tenants over, as worker/main.ts does.
process.once('SIGTERM', () => void runtime.handOver().then(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ pods })}\n`);
setInterval(() => undefined, 60_000); // serve until killed
