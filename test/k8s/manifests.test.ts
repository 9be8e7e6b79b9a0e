/**
 * The deploy manifests pass server-side dry-run against the real API server
 * (schema, defaulting, admission including PodSecurity `restricted`), and
 * every manifest file is listed in its kustomization. Building the overlays
 * needs kustomize, which is not installed here; the base is what they patch.
 */
import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node';
import { apiMessage } from '../../k8s/errors.js';
import { DEPLOY_DIR, kubeCluster, kustomizationObjects } from './fixture.js';

describe('deploy manifests', function () {
  this.timeout(60_000);
  let api: KubernetesObjectApi;
  let core: CoreV1Api;

  before(async function () {
    this.timeout(40 * 60_000);
    const { kubeConfig } = await kubeCluster();
    api = KubernetesObjectApi.makeApiClient(kubeConfig);
    core = kubeConfig.makeApiClient(CoreV1Api);
  });

  for (const dir of ['cluster', 'base']) {
    it(`k8s/deploy/${dir}: every YAML file is listed in kustomization.yaml`, async function () {
      const listed = (
        loadAllYaml(await readFile(join(DEPLOY_DIR, dir, 'kustomization.yaml'), 'utf8'))[0] as {
          resources: string[];
        }
      ).resources;
      const files = (await readdir(join(DEPLOY_DIR, dir))).filter(
        (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
      );
      assert.deepEqual([...listed].sort(), files.sort());
    });
  }

  it('the base passes server-side dry-run (namespaces created for real first)', async function () {
    const objects = await kustomizationObjects(join(DEPLOY_DIR, 'base'));
    const namespaces = objects.filter((o) => o.kind === 'Namespace');
    for (const ns of namespaces)
      await core.createNamespace({ body: ns }).catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    const failures: string[] = [];
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      await api.create(object, undefined, 'All').catch((error: unknown) => {
        failures.push(`${object.kind}/${object.metadata?.name}: ${apiMessage(error)}`);
      });
    }
    assert.deepEqual(failures, []);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'Deployment',
      'Role',
      'RoleBinding',
      'NetworkPolicy',
      'ResourceQuota',
      'LimitRange',
      'ConfigMap',
    ])
      assert.ok(kinds.has(kind), `base has a ${kind}`);
  });

  it('a dry-run pod breaking PodSecurity restricted in the tenant namespace is refused (the check is real)', async function () {
    const privileged = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad', namespace: 'clawfleet-tenants' },
      spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] },
    };
    const error = await api.create(privileged, undefined, 'All').then(
      () => assert.fail('should be refused'),
      (e: unknown) => e,
    );
    assert.match(apiMessage(error), /restricted/);
  });
});
