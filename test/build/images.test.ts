/**
 * The images run the build: what the Dockerfiles' final stages copy and run,
 * checked against the pod manifest's command, the deploy manifests' args and
 * the entry points that exist. (No image is built here: the machine has no
 * container daemon and no registry for the base images.)
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAllYaml, type V1Deployment } from '@kubernetes/client-node';
import { DEFAULT_KUBE_OPTIONS } from '../../k8s/options.js';
import { tenantPod } from '../../k8s/pod-manifest.js';
import { SUPERVISOR_V8_FLAGS } from '../../common/entry-points.js';
import { REPO_ROOT } from './packed-project.js';

interface Stage {
  readonly lines: string[];
}

/** The Dockerfile's stages (FROM to FROM), comments and continuation lines joined. */
async function stages(file: string): Promise<Stage[]> {
  const text = await readFile(join(REPO_ROOT, 'k8s/images', file), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
  const result: Stage[] = [];
  for (const line of lines) {
    if (/^FROM /.test(line)) result.push({ lines: [] });
    result.at(-1)?.lines.push(line);
  }
  return result;
}

function jsonInstruction(stage: Stage, name: 'ENTRYPOINT' | 'CMD'): string[] {
  const line = stage.lines.find((l) => l.startsWith(`${name} `));
  return line ? (JSON.parse(line.slice(name.length + 1)) as string[]) : [];
}

/** `dist/x/y.js` (relative to /app or absolute in it) has a source `x/y.ts` the build compiles. */
function assertBuiltEntry(path: string): void {
  const match = /^(?:\/app\/)?dist\/(.+)\.js$/.exec(path);
  assert.ok(match, `${path} is a file of the build`);
  assert.ok(existsSync(join(REPO_ROOT, `${match[1]}.ts`)), `${path} is built from ${match[1]}.ts`);
}

describe('container images run the build', () => {
  for (const file of ['agent.Dockerfile', 'control-plane.Dockerfile']) {
    it(`${file}: the final stage copies dist/ and production dependencies only, and runs no tsx or TypeScript`, async () => {
      const all = await stages(file);
      const final = all.at(-1)!;
      const copies = final.lines.filter((l) => l.startsWith('COPY '));
      assert.ok(
        copies.some((l) => /--from=build \S*\/dist /.test(l)),
        `copies the build: ${copies.join(' | ')}`,
      );
      assert.ok(
        copies.some((l) => /--from=deps \S*node_modules /.test(l)),
        'copies the dependencies',
      );
      for (const copy of copies)
        assert.match(copy, /^COPY (--from=\S+ |package\.json )/, `copies nothing from the sources: ${copy}`);
      const deps = all.find((stage) => stage.lines[0]!.includes(' AS deps'))!;
      assert.ok(
        deps.lines.some((l) => /npm install --omit=dev /.test(l)),
        'the dependencies stage omits dev dependencies',
      );
      for (const stage of [final, deps])
        for (const line of stage.lines) assert.doesNotMatch(line, /\btsx\b|typescript|\.ts\b/, line);
    });
  }

  it("the agent image runs exactly the pod manifest command: node, the supervisor's V8 flags, dist/supervisor/main.js", async () => {
    const final = (await stages('agent.Dockerfile')).at(-1)!;
    const entrypoint = jsonInstruction(final, 'ENTRYPOINT');
    // Only what the manifest reads of a launch: the tenant, the pod id, the tier.
    const launch = { tenantId: 'acme', podId: 'acme-1', tier: 'standard' } as Parameters<typeof tenantPod>[1];
    const pod = tenantPod(DEFAULT_KUBE_OPTIONS, launch);
    const container = pod.spec!.containers.find((c) => c.name === 'agent')!;
    assert.deepEqual(container.command, entrypoint);
    assert.deepEqual(entrypoint.slice(1, -1), SUPERVISOR_V8_FLAGS, 'the flags every supervisor runs with');
    assertBuiltEntry(entrypoint.at(-1)!);
  });

  it('the control-plane image and the deploy manifests start built entry points', async () => {
    const final = (await stages('control-plane.Dockerfile')).at(-1)!;
    assert.deepEqual(jsonInstruction(final, 'ENTRYPOINT'), ['/usr/local/bin/node']);
    assertBuiltEntry(jsonInstruction(final, 'CMD')[0]!);
    for (const name of ['worker', 'router', 'admin']) {
      const yaml = await readFile(join(REPO_ROOT, 'k8s/deploy/base', `${name}.yaml`), 'utf8');
      const deployment = (loadAllYaml(yaml) as V1Deployment[]).find((o) => o.kind === 'Deployment')!;
      const [container] = deployment.spec!.template.spec!.containers;
      assert.equal(container!.command, undefined, `${name}: the image's entry point (node) stays`);
      assert.equal(container!.args?.length, 1, `${name}: one arg, the entry file`);
      assertBuiltEntry(container!.args[0]!);
    }
  });
});
