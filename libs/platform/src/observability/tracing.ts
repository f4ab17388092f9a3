import { Context, Span, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { BusHeaders } from '../bus/bus';

/**
 * OpenTelemetry for every service. Spans are exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard variable); otherwise the API is a no-op
 * and costs nothing. Trace context crosses the bus in W3C `traceparent` headers.
 */
const TRACER = 'streamgate';
let sdk: NodeSDK | undefined;

export interface TracingOptions {
  service: string;
  /** OTLP base URL (…:4318); defaults to OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint?: string;
  /** Export each span at once (tests) instead of batching. */
  immediate?: boolean;
}

/**
 * Starts the SDK when an endpoint is configured. The SDK and the exporter are loaded only then:
 * they are a third of the gateway's start-up time, and most runs export nothing.
 */
export async function startTracing(options: TracingOptions): Promise<boolean> {
  const endpoint = options.endpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || sdk) return false;
  const [{ NodeSDK }, { OTLPTraceExporter }, { BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }, { ATTR_SERVICE_NAME }] = await Promise.all([
    import('@opentelemetry/sdk-node'), import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'), import('@opentelemetry/semantic-conventions'),
  ]);
  if (sdk) return false;
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` });
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service }),
    spanProcessors: [options.immediate ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
    instrumentations: [],
  });
  sdk.start();
  return true;
}

export function isTracingStarted(): boolean {
  return sdk !== undefined;
}

export async function stopTracing(): Promise<void> {
  const s = sdk;
  sdk = undefined;
  await s?.shutdown();
}

export function tracer() {
  return trace.getTracer(TRACER);
}

/** Runs `fn` inside a new span (child of the active one, or of `parent`). */
export async function withSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Adds `traceparent`/`tracestate` of the active context to bus headers. */
export function injectTraceHeaders(headers: BusHeaders = {}): BusHeaders {
  propagation.inject(context.active(), headers);
  return headers;
}

/** The context carried by a bus message's headers (or the active one when none). */
export function contextFromHeaders(headers: BusHeaders | undefined): Context {
  return headers?.traceparent ? propagation.extract(context.active(), headers) : context.active();
}

export { SpanKind };
