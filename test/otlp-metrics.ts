// OTLP metrics bodies for tests inside workerd: made by the official OpenTelemetry SDK and its
// serializers (they run in workerd), plus hand-built OTLP/JSON for what an SDK would never send
// (exact times, malformed points).
import { SELF } from 'cloudflare:test';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, AggregationType, MeterProvider, MetricReader, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { BASE } from './helpers.ts';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The semantic conventions' advised bounds for http.server.request.duration (seconds). */
export const SEMCONV_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export interface SdkOptions {
  service: string;
  temporality?: 'delta' | 'cumulative';
  exponential?: boolean;
  resource?: Record<string, string>;
}

/** An SDK meter provider with a manual reader: record through `meter`, then `collect()` a body. */
export function sdkMetrics(o: SdkOptions) {
  const reader = new Reader({
    aggregationTemporalitySelector: () => (o.temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE),
  });
  const views: ViewOptions[] = o.exponential
    ? ['http.server.request.duration', 'http.server.duration'].map((instrumentName) => ({ instrumentName, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } } }))
    : [];
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': o.service, ...o.resource }), readers: [reader], views });
  const meter = provider.getMeter('pulse-test', '1.0.0');
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: SEMCONV_BOUNDS } });
  return {
    meter,
    /** Records request durations (seconds) with HTTP attributes. */
    requests(route: string, seconds: number[], attrs: Record<string, string | number> = {}) {
      for (const s of seconds) duration.record(s, { 'http.request.method': 'GET', 'http.route': route, 'http.response.status_code': 200, ...attrs });
    },
    async collect(): Promise<{ protobuf: Uint8Array; json: Uint8Array }> {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length) throw new Error(`collect: ${errors.join('; ')}`);
      return { protobuf: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!, json: JsonMetricsSerializer.serializeRequest(resourceMetrics)! };
    },
  };
}

export function postMetrics(key: string, body: BodyInit, init: { headers?: Record<string, string>; encoding?: 'protobuf' | 'json' } = {}) {
  const type = init.encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  return SELF.fetch(`${BASE}/v1/metrics`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': type, ...init.headers }, body });
}

// ---- hand-built OTLP/JSON ----------------------------------------------------------------------

type AttrInput = Record<string, string | number | boolean>;

function attrs(a: AttrInput) {
  return Object.entries(a).map(([key, v]) =>
    typeof v === 'string' ? { key, value: { stringValue: v } } : typeof v === 'boolean' ? { key, value: { boolValue: v } } : Number.isInteger(v) ? { key, value: { intValue: String(v) } } : { key, value: { doubleValue: v } },
  );
}

const ns = (ms: number) => String(BigInt(Math.round(ms)) * 1_000_000n);

export interface JsonHistogramPoint {
  attrs?: AttrInput;
  /** epoch ms; 0 for unset */
  start: number;
  time: number;
  bounds: number[];
  counts: number[];
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
}

export const jsonHistogram = (name: string, unit: string, temporality: 1 | 2, points: JsonHistogramPoint[]) => ({
  name,
  unit,
  histogram: {
    aggregationTemporality: temporality,
    dataPoints: points.map((p) => ({
      attributes: attrs(p.attrs ?? {}),
      startTimeUnixNano: ns(p.start),
      timeUnixNano: ns(p.time),
      count: String(p.count ?? p.counts.reduce((a, b) => a + b, 0)),
      ...(p.sum !== undefined ? { sum: p.sum } : {}),
      ...(p.min !== undefined ? { min: p.min } : {}),
      ...(p.max !== undefined ? { max: p.max } : {}),
      bucketCounts: p.counts.map(String),
      explicitBounds: p.bounds,
    })),
  },
});

export const jsonGauge = (name: string, points: { attrs?: AttrInput; time: number; value: number | string }[], unit = '') => ({
  name,
  unit,
  gauge: { dataPoints: points.map((p) => ({ attributes: attrs(p.attrs ?? {}), timeUnixNano: ns(p.time), asDouble: p.value })) },
});

export const jsonSum = (name: string, temporality: 0 | 1 | 2, points: { attrs?: AttrInput; start?: number; time: number; value: number }[]) => ({
  name,
  sum: {
    aggregationTemporality: temporality,
    isMonotonic: true,
    dataPoints: points.map((p) => ({ attributes: attrs(p.attrs ?? {}), startTimeUnixNano: ns(p.start ?? 0), timeUnixNano: ns(p.time), asInt: String(p.value) })),
  },
});

export function jsonMetrics(service: string, metrics: unknown[], resource: Record<string, string> = {}): string {
  return JSON.stringify({
    resourceMetrics: [{ resource: { attributes: attrs({ 'service.name': service, ...resource }) }, scopeMetrics: [{ scope: { name: 'test' }, metrics }] }],
  });
}
