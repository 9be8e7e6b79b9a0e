/**
 * One server span per Fastify request (the router's public routes, the
 * supervisor API), child of the caller's W3C `traceparent` when it sent one,
 * named by the route template (bounded) and carrying `tenant.id`. Installed
 * only when tracing is on; `inRequestSpan` then makes the span the parent of
 * what a handler calls (a Temporal signal, a forward to a supervisor).
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TENANT_ID, type Tracing } from './tracing.js';

const spans = new WeakMap<FastifyRequest, Span>();

export interface RequestSpanOptions {
  /** The tenant a request works for (a route parameter, the pod's own tenant); undefined leaves it out. */
  readonly tenantOf: (request: FastifyRequest) => string | undefined;
  /** Routes not worth a span (probes, metrics scrapes). */
  readonly skip?: (route: string) => boolean;
}

export function traceRequests(app: FastifyInstance, tracing: Tracing, options: RequestSpanOptions): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || options.skip?.(route)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const tenantId = options.tenantOf(request);
    const span = tracing.tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          ...(tenantId !== undefined ? { [TENANT_ID]: tenantId } : {}),
        },
      },
      parent,
    );
    spans.set(request, span);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    const span = spans.get(request);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
    span?.end();
    done();
  });
}

/** Runs `fn` with the request's span active (its parent for outgoing calls); just `fn()` when untraced. */
export function inRequestSpan<T>(request: FastifyRequest, fn: () => T): T {
  const span = spans.get(request);
  return span === undefined ? fn() : context.with(trace.setSpan(context.active(), span), fn);
}
