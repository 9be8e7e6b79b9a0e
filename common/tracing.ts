/**
 * OpenTelemetry traces, off unless an OTLP endpoint is configured. Off, no
 * SDK is loaded or registered: the `@opentelemetry/api` calls elsewhere hit
 * its no-op globals, and request hooks are not even installed. On, one SDK
 * per process exports spans over OTLP/HTTP (JSON) to the endpoint, with W3C
 * `traceparent` propagation and an AsyncLocalStorage context manager.
 *
 * Every clawfleet span carries `tenant.id` (TENANT_ID). Never a secret or a
 * message text: span attributes leave the machine.
 */
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The span attribute naming the tenant a span works for: what an operator searches traces by. */
export const TENANT_ID = 'tenant.id';

export interface Tracing {
  readonly tracer: Tracer;
  readonly resource: Resource;
  /** Where spans made outside the API's globals (Temporal's workflow sink) are handed in. */
  readonly spanProcessor: SpanProcessor;
  /** Exports what is buffered and unregisters the globals. */
  shutdown(): Promise<void>;
}

let current: Tracing | null = null;

/** The running SDK of this process, or null when tracing is off. */
export function activeTracing(): Tracing | null {
  return current;
}

/** OTLP/HTTP: a base URL (`http://collector:4318`) gets the traces path appended, as OTEL_EXPORTER_OTLP_ENDPOINT does. */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/$/, '')}/v1/traces`;
  return url.toString();
}

/**
 * Starts this process's SDK when `otlpEndpoint` is set; null (and nothing
 * loaded) when it is empty. A second call returns the running SDK: the API
 * globals are per process.
 */
export async function startTracing(options: {
  readonly serviceName: string;
  readonly otlpEndpoint: string;
}): Promise<Tracing | null> {
  if (options.otlpEndpoint === '') return null;
  if (current) return current;
  const [{ AsyncLocalStorageContextManager }, core, { OTLPTraceExporter }, resources, sdk] =
    await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
    ]);
  const resource = new resources.Resource({ 'service.name': options.serviceName });
  const spanProcessor = new sdk.BatchSpanProcessor(
    new OTLPTraceExporter({ url: otlpTracesUrl(options.otlpEndpoint) }),
    { scheduledDelayMillis: 1_000 },
  );
  const provider = new sdk.BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new core.W3CTraceContextPropagator(),
  });
  const running: Tracing = {
    tracer: provider.getTracer('clawfleet'),
    resource,
    spanProcessor,
    async shutdown() {
      if (current === running) current = null;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  current = running;
  return running;
}

/**
 * `headers` plus the active span's `traceparent`, for a call to another
 * process (the supervisor API). Unchanged when tracing is off or no span is active.
 */
export function withTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (current === null) return headers;
  const carrier = { ...headers };
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Temporal client interceptors of a traced process (its signals and updates become spans); none when off. */
export async function tracedClientInterceptors(
  tracing: Tracing | null,
): Promise<{ workflow: WorkflowClientInterceptor[] } | undefined> {
  if (tracing === null) return undefined;
  return (await import('./temporal-tracing.js')).clientInterceptors(tracing);
}
