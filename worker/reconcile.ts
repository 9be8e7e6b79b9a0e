/**
 * Start-up reconciliation for the local runtime. Local tenant processes never
 * outlive the worker that launched them (they drain when it dies), so a fresh
 * worker holds no pods: every tenant whose workflow still believes it has one
 * is told it is lost and relaunches from its last snapshot. One local worker
 * per host is assumed (the runtime's slots are per host anyway).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger.js';
import { ANY_POD, podLostSignal, TENANT_WORKFLOW_TYPE } from '../workflows/shared.js';

export async function reportLostLocalPods(client: Client, logger: Logger): Promise<number> {
  const query =
    `WorkflowType = '${TENANT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' ` +
    `AND TenantPhase IN ('waking', 'running', 'draining')`;
  let count = 0;
  try {
    for await (const execution of client.workflow.list({ query })) {
      await client.workflow
        .getHandle(execution.workflowId)
        .signal(podLostSignal, ANY_POD, 'worker restarted: its local tenant processes are gone');
      count++;
    }
  } catch (err) {
    logger.warn({ err }, 'could not reconcile tenants left running by a previous worker');
  }
  if (count > 0) logger.info({ count }, 'tenants left awake by a previous worker will relaunch');
  return count;
}
