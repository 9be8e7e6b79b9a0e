/**
 * A stand-in for the tenant workflow (workflows/tenant-workflow.ts) where a
 * router test needs `wake` answered with pods of its choosing: registered
 * under the tenant workflow's type name, started by the router's own
 * update-with-start (so it takes the same input), it answers every `wake`
 * with the pod the test's `standInPod` activity names for that wake (1, 2, …)
 * and counts the wakes for the test to read.
 */
import { condition, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import { wakeUpdate, type PodHandle, type TenantWorkflowInput } from '../../workflows/shared.js';

export interface StandInActivities {
  /** The pod wake number `wake` (from 1) of `tenantId` returns. */
  standInPod(tenantId: string, wake: number): Promise<PodHandle>;
}

/** How many wakes the stand-in has answered or is answering. */
export const wakesQuery = defineQuery<number>('standInWakes');

const { standInPod } = proxyActivities<StandInActivities>({ startToCloseTimeout: '5s' });

export async function tenantWorkflow(input: TenantWorkflowInput): Promise<void> {
  let wakes = 0;
  setHandler(wakesQuery, () => wakes);
  setHandler(wakeUpdate, () => standInPod(input.tenantId, ++wakes));
  // Runs until the test's dev server goes away, as a tenant's workflow would.
  await condition(() => false);
}
