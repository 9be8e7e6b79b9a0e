/**
 * Start-up reconciliation for the local runtime. Tenant supervisors outlive a
 * worker that dies (they watch the runtime's heartbeat for the adoption
 * window), and the new worker's runtime adopts the live ones first
 * (`LocalRuntime.adoptRunning`). Every tenant whose workflow still believes
 * it has a pod that was not adopted is told the pod is lost, and relaunches
 * from its last snapshot. One local worker per host is assumed (the
 * runtime's slots are per host anyway).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger.js';
import { ANY_POD, describeQuery, podLostSignal, TENANT_WORKFLOW_TYPE } from '../workflows/shared.js';

export async function reportLostLocalPods(
  client: Client,
  logger: Logger,
  adoptedPods: readonly string[] = [],
): Promise<number> {
  const query =
    `WorkflowType = '${TENANT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' ` +
    `AND TenantPhase IN ('waking', 'running', 'draining')`;
  const adopted = new Set(adoptedPods);
  let count = 0;
  try {
    for await (const execution of client.workflow.list({ query })) {
      const handle = client.workflow.getHandle(execution.workflowId);
      const described = await handle.query(describeQuery).catch(() => null);
      if (described && adopted.has(`${described.tenantId}-${described.generation}`)) continue; // still serving
      await handle.signal(podLostSignal, ANY_POD, 'worker restarted: its local tenant process is gone');
      count++;
    }
  } catch (err) {
    logger.warn({ err }, 'could not reconcile tenants left running by a previous worker');
  }
  if (count > 0) logger.info({ count }, 'tenants left awake by a previous worker will relaunch');
  if (adopted.size > 0)
    logger.info({ adopted: adopted.size }, 'tenants left awake by a previous worker adopted');
  return count;
}
