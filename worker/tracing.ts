/**
 * Temporal's OpenTelemetry interceptors for the worker, when tracing is on:
 * workflow spans (made inside the workflow sandbox, handed out through a
 * sink to this process's span processor), activity spans (children of the
 * workflow's schedule span, carried in the activity headers), and the
 * client spans of signals the worker itself sends. Each span gets the
 * `tenant.id` of its tenant workflow. Off, none of this is added: the
 * workflow bundle then holds no tracing code at all.
 */
import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import type { Context as ActivityContext } from '@temporalio/activity';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  InjectedSinks,
  Next,
  WorkerOptions,
} from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import { TENANT_ID, type Tracing } from '../common/tracing.js';
import { tenantOfWorkflow } from '../common/temporal-tracing.js';

/** The module the workflow bundle loads the sandbox's interceptors from (so only a traced worker has them). */
export const WORKFLOW_TRACING_MODULE = fileURLToPath(
  import.meta.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
);

/** What Worker.create takes on top of its own options when tracing is on. */
export function tracedWorkerOptions(
  tracing: Tracing,
  code: { prebuilt: boolean } = { prebuilt: false },
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const options = { tracer: tracing.tracer };
  return {
    interceptors: {
      // A prebuilt bundle has the module already (scripts/build.mjs); the SDK ignores this list then.
      workflowModules: code.prebuilt ? [] : [WORKFLOW_TRACING_MODULE],
      activity: [
        (ctx) => ({
          inbound: new TenantActivitySpan(ctx, new OpenTelemetryActivityInboundInterceptor(ctx, options)),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: tenantTagged(makeWorkflowExporter(tracing.spanProcessor, tracing.resource)) },
  };
}

/** The activity span, with the tenant of the workflow that scheduled it. */
class TenantActivitySpan implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: ActivityContext,
    private readonly traced: OpenTelemetryActivityInboundInterceptor,
  ) {}

  execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const tenantId = tenantOfWorkflow(this.ctx.info.workflowExecution?.workflowId ?? '');
    return this.traced.execute(input, (inner) => {
      if (tenantId !== undefined) trace.getActiveSpan()?.setAttribute(TENANT_ID, tenantId);
      return next(inner);
    });
  }
}

/** Workflow spans leave the sandbox through this sink; each gets its workflow's tenant on the way out. */
function tenantTagged(
  sink: InjectedSinks<OpenTelemetrySinks>['exporter'],
): InjectedSinks<OpenTelemetrySinks>['exporter'] {
  return {
    export: {
      ...sink.export,
      fn: (info, spans) => {
        const tenantId = tenantOfWorkflow(info.workflowId);
        if (tenantId !== undefined)
          for (const span of spans) Object.assign(span.attributes, { [TENANT_ID]: tenantId });
        return sink.export.fn(info, spans);
      },
    },
  };
}
