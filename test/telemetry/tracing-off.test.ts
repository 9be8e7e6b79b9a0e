/**
 * Tracing is off by default and costs nothing then: no SDK, no propagation
 * headers, the API's no-op globals. And the endpoint setting is read the way
 * OTEL_EXPORTER_OTLP_ENDPOINT is (a base URL gets the traces path).
 */
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { loadConfig } from '../../common/config.js';
import { activeTracing, otlpTracesUrl, startTracing, withTraceHeaders } from '../../common/tracing.js';

describe('tracing off by default', () => {
  it('an empty endpoint (the default) starts no SDK and adds no header', async () => {
    const config = loadConfig({});
    assert.equal(config.telemetry.otlpEndpoint, '');
    const tracing = await startTracing({ serviceName: 'off', otlpEndpoint: config.telemetry.otlpEndpoint });
    assert.equal(tracing, null);
    assert.equal(activeTracing(), null);
    const headers = { authorization: 'Bearer x' };
    assert.equal(withTraceHeaders(headers), headers, 'the same object: nothing injected, nothing copied');
    const span = trace.getTracer('probe').startSpan('probe');
    assert.equal(span.isRecording(), false, 'the API answers with no-op spans');
    span.end();
  });

  it('a collector base URL gets the OTLP traces path, a full one is kept', () => {
    assert.equal(otlpTracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
    assert.equal(otlpTracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces');
    assert.equal(otlpTracesUrl('https://otel.example/v1/traces'), 'https://otel.example/v1/traces');
  });
});
