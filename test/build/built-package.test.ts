/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- assertions read parsed JSON output */
/**
 * The build, end to end. `npm run build` runs here (so a stale or broken
 * build fails the suite), then the embedded stack starts from dist/: the
 * worker, admin API and router are `node dist/...js` child processes, and the
 * worker starts tenant supervisors the same way. Against that stack:
 * the packed tarball installed into an empty project (plain Node imports the
 * clients, `npx clawfleet` lists tenants), a chat message delivered by a real
 * OpenClaw tenant, and a Python client generated from the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AdminClient } from '../../client/admin-client.js';
import { adminTokenPath, loadConfig, withOverrides } from '../../common/config.js';
import type { startStack, Stack, StackPorts } from '../../dev/stack.js';
import { processesMentioning } from '../../local/process-sweep.js';
import { createDynamoClient } from '../../common/aws-clients.js';
import { createDocumentClient } from '../../registry/document-client.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { tableNames } from '../../registry/tables.js';
import { generatePythonClient, PACKAGE } from './generated-python-client.js';
import { buildRepo, installPackedClawfleet, REPO_ROOT, type PackedProject } from './packed-project.js';

const ENTRIES = ['worker/main', 'router/server', 'admin/server', 'gateway/server', 'supervisor/main'];

describe('the build: dist/ end to end, the installed package, and a generated OpenAPI client', function () {
  this.timeout(600_000);
  let dataDir: string;
  let stack: Stack;
  let project: PackedProject;
  let adminUrl: string;
  let token: string;

  before(async function () {
    this.timeout(20 * 60_000);
    const buildMs = await buildRepo();
    console.log(`    npm run build: ${(buildMs / 1000).toFixed(1)} s`);
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-built-'));
    // The stack module from dist/: its child processes (and theirs) run the build too.
    const built = (await import(pathToFileURL(join(REPO_ROOT, 'dist/dev/stack.js')).href)) as {
      startStack: typeof startStack;
      ANY_PORTS: StackPorts;
    };
    [stack, project] = await Promise.all([
      built.startStack({
        config: withOverrides(loadConfig({}), {
          common: { dataDir: join(dataDir, 'stack') },
          local: { portBase: 24000 },
        }),
        ports: built.ANY_PORTS,
        offline: true,
      }),
      installPackedClawfleet(),
    ]);
    adminUrl = `http://${stack.config.router.host}:${stack.config.admin.port}`;
    token = (await readFile(adminTokenPath(stack.config), 'utf8')).trim();
  });

  after(async () => {
    await stack?.stop();
    await project?.remove();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('an empty project on plain Node imports AdminClient and TenantClient from the tarball; npx clawfleet tenant list', async () => {
    for (const devOnly of ['tsx', 'typescript'])
      assert.ok(!existsSync(join(project.dir, 'node_modules', devOnly)), `${devOnly} is not installed`);
    const { config } = stack;
    const billing = await project.runScript('billing.mjs', BILLING_SCRIPT, [
      adminUrl,
      token,
      config.temporal.address,
      config.temporal.taskQueue,
      'billing-acme',
    ]);
    const result = JSON.parse(billing.stdout);
    assert.match(result.apiKey, /^cfk-/);
    assert.equal(result.phase, 'asleep', 'TenantClient reads the new tenant from its workflow');

    const listed = await project.npx(['clawfleet', '-o', 'json', 'tenant', 'list'], {
      CLAWFLEET_ADMIN_URL: adminUrl,
      CLAWFLEET_ADMIN_TOKEN: token,
      CLAWFLEET_CONFIG: join(project.dir, 'no-config.json'),
    });
    const tenants = JSON.parse(listed.stdout) as { tenantId: string }[];
    assert.ok(
      tenants.some((t) => t.tenantId === 'billing-acme'),
      listed.stdout,
    );
  });

  it('a chat message is answered by a tenant whose supervisor, like the worker and router, runs dist/ on plain node', async () => {
    const admin = new AdminClient({ baseUrl: adminUrl, token });
    const { apiKey } = await admin.createTenant({ tenantId: 'built-chat' });
    const { config } = stack;
    const chat = () =>
      fetch(`http://${config.router.host}:${config.router.port}/v1/tenants/built-chat/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey!.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'openclaw/default',
          messages: [{ role: 'user', content: 'hello dist' }],
        }),
      });
    let response = await chat();
    for (let tries = 0; response.status === 503 && tries < 12; tries++) {
      await new Promise((r) => setTimeout(r, 5_000));
      response = await chat();
    }
    assert.equal(response.status, 200, await response.clone().text());
    const answer = (await response.json()) as { choices: { message: { content: string } }[] };
    assert.match(answer.choices[0]!.message.content, /echo: hello dist/);

    const started = await clawfleetProcesses(stack.dataDir);
    const seen = new Set(started.map((p) => p.entry));
    for (const entry of ['worker/main', 'router/server', 'admin/server', 'gateway/server'])
      assert.ok(seen.has(entry), `${entry} is running: ${JSON.stringify(started)}`);
    assert.ok(seen.has('supervisor/main'), 'a supervisor runs');
    for (const { entry, argv } of started) {
      // The entry comes after node's own flags (a supervisor's V8 flags: common/entry-points.ts).
      const script = argv.slice(1).find((arg) => !arg.startsWith('--'));
      assert.equal(script, join(REPO_ROOT, 'dist', `${entry}.js`), `${entry}: ${argv.join(' ')}`);
      assert.ok(!argv.some((arg) => /tsx/.test(arg)), `${entry} runs without tsx: ${argv.join(' ')}`);
    }
  });

  it('a Python client generated from the OpenAPI document creates a tenant and reads its usage', async () => {
    const python = await generatePythonClient(adminUrl);
    try {
      const registry = new DynamoRegistry({
        doc: createDocumentClient(createDynamoClient(stack.config)),
        tables: tableNames(stack.config.aws.tablePrefix),
      });
      const created = await python.run(PYTHON_CREATE, [adminUrl, token, 'py-acme']);
      assert.equal(JSON.parse(created.stdout).tenantId, 'py-acme');
      await registry.recordUsage('py-acme', {
        from: '2026-02-03T10:00:00Z',
        to: '2026-02-03T10:01:30Z',
        activeMs: 90_000,
        messages: 2,
      });
      const usage = JSON.parse((await python.run(PYTHON_USAGE, [adminUrl, token, 'py-acme'])).stdout);
      assert.deepEqual(usage, { tenantId: 'py-acme', days: ['2026-02-03'], activeSeconds: 90, messages: 2 });
    } finally {
      await python.remove();
    }
  });
});

/** Every clawfleet process of the stack (found by the data dir in its environment) and its argv. */
async function clawfleetProcesses(dataDir: string): Promise<{ entry: string; argv: string[] }[]> {
  const found: { entry: string; argv: string[] }[] = [];
  for (const pid of await processesMentioning(dataDir)) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
    // Node processes only: a sandboxed supervisor is started through bwrap and setpriv, which name its entry too.
    if (basename(argv[0] ?? '') !== 'node') continue;
    const entry = ENTRIES.find((e) => argv.some((arg) => arg.includes(e)));
    if (entry) found.push({ entry, argv });
  }
  return found;
}

const BILLING_SCRIPT = `
import { AdminClient } from 'clawfleet/admin-client';
import { TenantClient } from 'clawfleet/tenant-client';
import { Client, Connection } from '@temporalio/client';

const [baseUrl, token, address, taskQueue, tenantId] = process.argv.slice(2);
const admin = new AdminClient({ baseUrl, token });
const created = await admin.createTenant({ tenantId, tier: 'pro' }, { idempotencyKey: 'order-' + tenantId });
const connection = await Connection.connect({ address });
const tenants = new TenantClient({ client: new Client({ connection }), taskQueue });
const { phase } = await tenants.describe(tenantId);
await connection.close();
console.log(JSON.stringify({ apiKey: created.apiKey?.apiKey, phase }));
`;

const PYTHON_CREATE = `
import json, sys
from ${PACKAGE} import AuthenticatedClient
from ${PACKAGE}.api.tenants import create_tenant
from ${PACKAGE}.models import CreateTenantBody

base_url, token, tenant_id = sys.argv[1:4]
client = AuthenticatedClient(base_url=base_url, token=token)
response = create_tenant.sync_detailed(client=client, body=CreateTenantBody(tenant_id=tenant_id))
assert response.status_code == 201, response.content
print(json.dumps({"tenantId": response.parsed.tenant.tenant_id}))
`;

const PYTHON_USAGE = `
import json, sys
from ${PACKAGE} import AuthenticatedClient
from ${PACKAGE}.api.usage import tenant_usage

base_url, token, tenant_id = sys.argv[1:4]
client = AuthenticatedClient(base_url=base_url, token=token)
report = tenant_usage.sync(tenant_id, client=client, from_="2026-02-01", to="2026-02-28")
print(json.dumps({
    "tenantId": report.tenant_id,
    "days": [day.day for day in report.days],
    "activeSeconds": report.total.active_seconds,
    "messages": report.total.messages,
}))
`;
