/**
 * The Temporal side of tracing shared by every traced process: the client
 * interceptors (signals, starts and updates become spans, their context
 * travels in the Temporal headers to the workflow) with `tenant.id` on each,
 * and how a span finds its tenant from a workflow id. Loaded only when
 * tracing is on (common/tracing.ts imports it lazily).
 */
import { trace } from '@opentelemetry/api';
import type {
  Next,
  WorkflowClientInterceptor,
  WorkflowSignalInput,
  WorkflowSignalWithStartInput,
  WorkflowStartInput,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateWithStartInput,
} from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { tenantWorkflowId } from '../workflows/shared.js';
import { TENANT_ID, type Tracing } from './tracing.js';

const TENANT_WORKFLOW_PREFIX = tenantWorkflowId('');

/** The tenant of a tenant workflow's id; undefined for other workflows (a fleet rollout). */
export function tenantOfWorkflow(workflowId: string): string | undefined {
  return workflowId.startsWith(TENANT_WORKFLOW_PREFIX)
    ? workflowId.slice(TENANT_WORKFLOW_PREFIX.length)
    : undefined;
}

function tagActiveSpan(workflowId: string): void {
  const tenantId = tenantOfWorkflow(workflowId);
  if (tenantId !== undefined) trace.getActiveSpan()?.setAttribute(TENANT_ID, tenantId);
}

/** Runs inside the OpenTelemetry interceptor's span (client interceptors nest in array order). */
class TenantTag implements WorkflowClientInterceptor {
  start(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'start'>) {
    tagActiveSpan(input.options.workflowId);
    return next(input);
  }
  signal(input: WorkflowSignalInput, next: Next<WorkflowClientInterceptor, 'signal'>) {
    tagActiveSpan(input.workflowExecution.workflowId);
    return next(input);
  }
  signalWithStart(
    input: WorkflowSignalWithStartInput,
    next: Next<WorkflowClientInterceptor, 'signalWithStart'>,
  ) {
    tagActiveSpan(input.options.workflowId);
    return next(input);
  }
  startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>) {
    tagActiveSpan(input.workflowExecution.workflowId);
    return next(input);
  }
  startUpdateWithStart(
    input: WorkflowStartUpdateWithStartInput,
    next: Next<WorkflowClientInterceptor, 'startUpdateWithStart'>,
  ) {
    tagActiveSpan(input.workflowStartOptions.workflowId);
    return next(input);
  }
}

export function clientInterceptors(tracing: Tracing): { workflow: WorkflowClientInterceptor[] } {
  return {
    workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer }), new TenantTag()],
  };
}
