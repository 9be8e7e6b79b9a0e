/**
 * The Grafana dashboard (docs/grafana/clawfleet-dashboard.json) is valid JSON
 * that names only metrics some component registers (a renamed metric breaks
 * this, not an operator's panel at 3 am), keeps tenants out of metric
 * queries, and finds a tenant's story through traces and logs.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { RouterMetrics } from '../../router/metrics.js';
import { SupervisorMetrics } from '../../supervisor/metrics.js';
import { WorkerMetrics } from '../../worker/metrics.js';

const DASHBOARD = join(import.meta.dirname, '..', '..', 'docs', 'grafana', 'clawfleet-dashboard.json');

interface Target {
  readonly expr?: string;
  readonly query?: string;
  readonly datasource: { readonly type: string };
}
interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: Target[];
}

async function registered(): Promise<Set<string>> {
  const registries = [
    new RouterMetrics().registry,
    new GatewayMetrics().registry,
    new WorkerMetrics().registry,
    new SupervisorMetrics(() => 0).registry,
  ];
  const names = new Set<string>();
  for (const registry of registries)
    for (const metric of await registry.getMetricsAsJSON()) names.add(metric.name);
  return names;
}

describe('Grafana dashboard', () => {
  it('is JSON whose metric queries name registered metrics only, with no tenant label', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
      panels: Panel[];
      templating: { list: { name: string; type: string }[] };
    };
    const known = await registered();
    const targets = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ panel, target })),
    );
    const metricTargets = targets.filter(({ target }) => target.datasource.type === 'prometheus');
    assert.ok(metricTargets.length >= 10, 'fleet panels from the metrics');
    const used = new Set<string>();
    for (const { panel, target } of metricTargets) {
      assert.ok(target.expr, `${panel.title}: a PromQL expression`);
      const names = target.expr.match(/clawfleet_[a-z_]+/g) ?? [];
      assert.ok(names.length > 0, `${panel.title}: names a clawfleet metric`);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        assert.ok(known.has(base), `${panel.title}: ${name} is registered by no component`);
        used.add(base);
      }
      assert.doesNotMatch(target.expr, /tenant/i, `${panel.title}: no tenant in a metric query`);
    }
    for (const family of [
      'clawfleet_router_',
      'clawfleet_gateway_',
      'clawfleet_worker_',
      'clawfleet_supervisor_',
    ])
      assert.ok(
        [...used].some((name) => name.startsWith(family)),
        `a panel for ${family}*`,
      );
  });

  it('per-tenant panels query traces and logs through the tenant variable', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
      panels: Panel[];
      templating: { list: { name: string; type: string }[] };
    };
    assert.ok(
      dashboard.templating.list.some((v) => v.name === 'tenant'),
      'a tenant variable',
    );
    const perTenant = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).filter((t) => /\$tenant/.test(t.expr ?? t.query ?? '')),
    );
    const kinds = new Set(perTenant.map((target) => target.datasource.type));
    assert.deepEqual([...kinds].sort(), ['loki', 'tempo']);
    const traceQueries = perTenant.filter((t) => t.datasource.type === 'tempo').map((t) => t.query ?? '');
    assert.ok(
      traceQueries.every((query) => query.includes('span.tenant.id = "$tenant"')),
      'the span attribute',
    );
  });
});
