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
import { tenantOfPod } from '../runtime/pod-lifecycle.js';
import { ANY_POD, podLostSignal, TENANT_WORKFLOW_TYPE, tenantWorkflowId } from '../workflows/shared.js';

const WORKFLOW_ID_PREFIX = tenantWorkflowId('');

export async function reportLostLocalPods(
  client: Client,
  logger: Logger,
  adoptedPods: readonly string[] = [],
): Promise<number> {
  const query =
    `WorkflowType = '${TENANT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' ` +
    `AND TenantPhase IN ('waking', 'running', 'draining', 'paused')`;
  // By tenant, not by generation: no worker polls yet to answer a query. A tenant whose workflow has moved on to a
  // newer generation gets it through its own launch, which replaces the adopted pod (the lifecycle core).
  const adopted = new Set(adoptedPods.map(tenantOfPod));
  let count = 0;
  try {
    for await (const execution of client.workflow.list({ query })) {
      if (adopted.has(execution.workflowId.slice(WORKFLOW_ID_PREFIX.length))) continue; // still serving
      await client.workflow
        .getHandle(execution.workflowId)
        .signal(podLostSignal, ANY_POD, 'worker restarted: its local tenant process is gone');
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
