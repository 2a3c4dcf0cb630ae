// OpenTelemetry for the demo, configured only by the standard environment variables, exactly as
// a user's service would be: OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT (the product's base
// URL; the exporter appends /v1/traces), OTEL_EXPORTER_OTLP_HEADERS (`Authorization=Bearer%20<key>`),
// OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, the default, or http/json) and
// OTEL_EXPORTER_OTLP_COMPRESSION (gzip), OTEL_LOGS_EXPORTER (otlp, the default, or none). See
// docs/apm.md and docs/logs.md.
//
// This module must run before anything imports node:http: the HTTP instrumentation patches the
// module as it loads, and an ES module import only reaches it through the loader hook registered
// here (OpenTelemetry's documented ESM setup). Hence the dynamic imports below.
import { register } from 'node:module';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { untraced } from './routes.ts';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

/** A finished span as the SDK recorded it: the test's ground truth. */
export interface CapturedSpan {
  name: string;
  traceId: string;
  spanId: string;
  /** SpanKind of @opentelemetry/api (SERVER = 1). */
  kind: number;
  attributes: Record<string, unknown>;
  /** Span status code (ERROR = 2). */
  statusCode: number;
  /** End minus start in nanoseconds, as a decimal string (what OTLP carries, exactly). */
  durationNanos: string;
  endUnixNanos: string;
}

export interface Telemetry {
  /** Exports every finished span now (the batch processor otherwise waits up to 5 s). */
  forceFlush(): Promise<void>;
  /** The spans finished since the last call (only with `capture`). */
  takeCaptured(): CapturedSpan[];
  shutdown(): Promise<void>;
}

const nanos = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** The batch processor's settings from OTEL_BSP_* (as NodeSDK reads them). */
function batchOptionsFromEnv() {
  const num = (name: string) => {
    const v = process.env[name]?.trim();
    if (!v) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v}: not a non-negative number`);
    return n;
  };
  return {
    maxQueueSize: num('OTEL_BSP_MAX_QUEUE_SIZE'),
    scheduledDelayMillis: num('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: num('OTEL_BSP_EXPORT_TIMEOUT'),
    maxExportBatchSize: num('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  };
}

export async function startTelemetry(opts: { capture?: boolean } = {}): Promise<Telemetry> {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  // The exporter the SDK would pick for OTEL_EXPORTER_OTLP_PROTOCOL; it reads the endpoint,
  // headers, compression and timeout from the environment itself. Built here (not left to
  // NodeSDK) only so that a test can add its recording processor beside it.
  let exporter;
  if (protocol === 'http/json') exporter = new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  else if (protocol === 'http/protobuf') exporter = new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  else throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: the product takes http/protobuf or http/json`);
  const memory = opts.capture ? new InMemorySpanExporter() : null;
  // Logs (server.ts logs each request) go to /v1/logs the same way, unless OTEL_LOGS_EXPORTER=none.
  // Built here, not by NodeSDK, for the same reason: forceFlush must reach them.
  let logProcessor: import('@opentelemetry/sdk-logs').BatchLogRecordProcessor | undefined;
  const logsExporter = (process.env.OTEL_LOGS_EXPORTER ?? 'otlp').trim();
  if (logsExporter !== 'none') {
    if (logsExporter !== 'otlp') throw new Error(`OTEL_LOGS_EXPORTER=${logsExporter}: the demo exports logs with otlp, or none`);
    const logProtocol = process.env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
    let logExporter;
    if (logProtocol === 'http/json') logExporter = new (await import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter();
    else if (logProtocol === 'http/protobuf') logExporter = new (await import('@opentelemetry/exporter-logs-otlp-proto')).OTLPLogExporter();
    else throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${logProtocol}: the product takes http/protobuf or http/json`);
    const { BatchLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
    logProcessor = new BatchLogRecordProcessor({ exporter: logExporter });
  }
  const sdk = new NodeSDK({
    instrumentations: [new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => untraced((req.url ?? '/').split('?', 1)[0]!) })],
    spanProcessors: [new BatchSpanProcessor({ exporter, ...batchOptionsFromEnv() }), ...(memory ? [new SimpleSpanProcessor({ exporter: memory })] : [])],
    ...(logProcessor && { logRecordProcessors: [logProcessor] }),
  });
  sdk.start();
  return {
    async forceFlush() {
      await logProcessor?.forceFlush();
      const { trace } = await import('@opentelemetry/api');
      // NodeSDK registers its TracerProvider globally; the API hands out a proxy to it.
      const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
      const real = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
      if (!real.forceFlush) throw new Error('the global tracer provider cannot flush');
      await real.forceFlush();
    },
    takeCaptured() {
      if (!memory) return [];
      const spans = memory.getFinishedSpans().map(
        (s: ReadableSpan): CapturedSpan => ({
          name: s.name,
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          kind: s.kind,
          attributes: { ...s.attributes },
          statusCode: s.status.code,
          durationNanos: String(nanos(s.endTime) - nanos(s.startTime)),
          endUnixNanos: String(nanos(s.endTime)),
        }),
      );
      memory.reset();
      return spans;
    },
    shutdown: () => sdk.shutdown(),
  };
}
