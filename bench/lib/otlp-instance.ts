// A simulated application instance for bench:cost: the official OpenTelemetry SDK records 10
// requests a second (SERVER spans over a few routes, each with a child INTERNAL span) and two
// process gauges; every 5 s it exports what it has, as the SDK's batch processor and periodic
// reader would: one POST /v1/traces and one POST /v1/metrics (protobuf, the official serializers).
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { fetch } from 'undici';

const RATE = 10;
const ROUTES = ['/api/users/{id}', '/api/orders', '/api/search', '/health'];

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export function otlpInstance(url: string, key: string, service: string, seed: number) {
  const exporter = new InMemorySpanExporter();
  const resource = resourceFromAttributes({ 'service.name': service, 'service.instance.id': `${service}-1`, 'host.name': `${service}-host` });
  const tracer = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('bench-cost');
  const reader = new Reader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const meter = new MeterProvider({ resource, readers: [reader] }).getMeter('bench-cost');
  let cpu = 0.2;
  meter.createObservableGauge('process.cpu.utilization', { unit: '1' }).addCallback((r) => r.observe((cpu = Math.round((0.2 + 0.1 * Math.sin(Date.now() / 60_000 + seed)) * 1000) / 1000), { 'process.cpu.state': 'user' }));
  meter.createObservableGauge('process.memory.usage', { unit: 'By' }).addCallback((r) => r.observe(200_000_000 + Math.round(cpu * 1e7)));
  const counts = { posts: 0, latencies: [] as number[], serverSpans: 0, failed: 0 };
  let last = Date.now() - 30_000;
  let n = 0;
  const post = async (path: string, body: Uint8Array) => {
    counts.posts++;
    const t0 = performance.now();
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf' }, body });
    await res.arrayBuffer();
    counts.latencies.push(performance.now() - t0);
    if (res.status !== 200) counts.failed++;
    return res.status === 200;
  };
  return {
    service,
    counts,
    resetCounts() {
      counts.posts = 0;
      counts.latencies = [];
      counts.serverSpans = 0;
      counts.failed = 0;
    },
    /** Spans ending since the last export, then the metrics: two requests. */
    async exportOnce(now = Date.now()) {
      const from = Math.max(last, now - 5000);
      const spans = Math.max(1, Math.round(((now - from) / 1000) * RATE));
      last = now;
      for (let i = 0; i < spans; i++) {
        const end = from + ((i + 1) * (now - from)) / spans - 1;
        const dur = 2 + ((i * 37 + n++ * 11) % 180);
        const route = ROUTES[(i + seed) % ROUTES.length]!;
        const error = (n + i) % 50 === 0;
        const span = tracer.startSpan(`GET ${route}`, { kind: SpanKind.SERVER, startTime: end - dur, attributes: { 'http.request.method': 'GET', 'http.route': route, 'http.response.status_code': error ? 500 : 200 } });
        tracer.startSpan('db.query', { kind: SpanKind.INTERNAL, startTime: end - dur + 1, attributes: { 'db.system': 'postgresql' } }).end(end - 1);
        if (error) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end(end);
      }
      const body = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!;
      exporter.reset();
      if (await post('/v1/traces', body)) counts.serverSpans += spans;
      const { resourceMetrics } = await reader.collect();
      await post('/v1/metrics', ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!);
    },
    /** Acknowledged SERVER spans the service's per-second signals do not count. */
    async lost(readKey: string, from: number): Promise<number> {
      const res = await fetch(`${url}/api/v1/services/${encodeURIComponent(service)}/signals?from=${from}&to=${Date.now() + 1000}&points=5000`, { headers: { authorization: `Bearer ${readKey}` } });
      if (!res.ok) return counts.serverSpans;
      const body = (await res.json()) as { points: { requests: number }[] };
      return Math.max(0, counts.serverSpans - body.points.reduce((a, p) => a + p.requests, 0));
    },
  };
}
