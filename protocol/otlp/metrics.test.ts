// Metrics made by the official SDK (gauge, sums, explicit and exponential histograms), serialized
// by the official OTLP serializers: protobuf and JSON decode to the same records, and to what the
// SDK collected.
import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { decodeMetrics, type Metric, type MetricsRequest } from './index.ts';
import { expectedAttrs, expectedValue, ns } from './test-helpers.ts';

class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collect(temporality: AggregationTemporality): Promise<ResourceMetrics> {
  const reader = new CollectingReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'billing', 'deployment.environment': 'test' }),
    readers: [reader],
    views: [{ instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 40 } } }],
  });
  const meter = provider.getMeter('pulse.metrics', '2.0.0');
  const requests = meter.createCounter('http.requests', { description: 'Requests served', unit: '{request}', valueType: ValueType.INT });
  requests.add(5, { route: '/a', code: 200 });
  requests.add(2, { route: '/b', code: 500 });
  meter.createCounter('bytes.huge', { valueType: ValueType.INT }).add(2 ** 60);
  meter.createCounter('cpu.seconds').add(1.25, { cpu: 0 });
  meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT }).add(-3, { queue: 'mail' });
  meter.createGauge('room.temperature', { unit: 'Cel' }).record(21.5, { room: 'server', floor: -1 });
  meter.createObservableGauge('process.threads', { valueType: ValueType.INT }).addCallback((r) => r.observe(17));
  const latency = meter.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 50, 100] } });
  for (const v of [5, 20, 70, 500, 9.5]) latency.record(v, { route: '/a' });
  const exp = meter.createHistogram('latency.exp', { unit: 's' });
  for (const v of [0, 0.001, 0.5, 1, 2, 4, 8, 1000]) exp.record(v);
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toStrictEqual([]);
  return resourceMetrics;
}

const temporality = (t: AggregationTemporality) => (t === AggregationTemporality.DELTA ? 1 : 2);

function expectedMetric(m: MetricData): Metric {
  const base = { name: m.descriptor.name, description: m.descriptor.description, unit: m.descriptor.unit };
  const common = (p: MetricData['dataPoints'][number]) => ({ attributes: expectedAttrs(p.attributes), startTimeUnixNano: ns(p.startTime), timeUnixNano: ns(p.endTime) });
  switch (m.dataPointType) {
    case DataPointType.GAUGE:
    case DataPointType.SUM: {
      const points = m.dataPoints.map((p) => ({
        ...common(p),
        value: m.descriptor.valueType === ValueType.INT ? (expectedValue(p.value) as number | bigint) : p.value,
        flags: 0,
      }));
      return m.dataPointType === DataPointType.GAUGE
        ? { ...base, data: { type: 'gauge', points } }
        : { ...base, data: { type: 'sum', points, temporality: temporality(m.aggregationTemporality), isMonotonic: m.isMonotonic } };
    }
    case DataPointType.HISTOGRAM:
      return {
        ...base,
        data: {
          type: 'histogram',
          temporality: temporality(m.aggregationTemporality),
          points: m.dataPoints.map((p) => {
            const h = p.value as Histogram;
            return { ...common(p), count: h.count, sum: h.sum, bucketCounts: h.buckets.counts, explicitBounds: h.buckets.boundaries, min: h.min, max: h.max, flags: 0 };
          }),
        },
      };
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return {
        ...base,
        data: {
          type: 'exponentialHistogram',
          temporality: temporality(m.aggregationTemporality),
          points: m.dataPoints.map((p) => {
            const h = p.value as ExponentialHistogram;
            return {
              ...common(p),
              count: h.count,
              sum: h.sum,
              scale: h.scale,
              zeroCount: h.zeroCount,
              zeroThreshold: 0,
              positive: h.positive,
              negative: h.negative,
              min: h.min,
              max: h.max,
              flags: 0,
            };
          }),
        },
      };
  }
}

const byName = (r: MetricsRequest) => new Map(r.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics)).map((m) => [m.name, m]));

describe.each([
  ['cumulative', AggregationTemporality.CUMULATIVE],
  ['delta', AggregationTemporality.DELTA],
])('OTLP metrics from the official SDK and serializers (%s)', async (_, t) => {
  const rm = await collect(t);
  const fromProto = decodeMetrics(ProtobufMetricsSerializer.serializeRequest(rm)!, 'protobuf');
  const fromJson = decodeMetrics(JsonMetricsSerializer.serializeRequest(rm)!, 'json');

  it('protobuf and JSON decode to deep-equal records', () => {
    expect(byName(fromProto).size).toBe(8);
    expect(fromJson).toStrictEqual(fromProto);
  });

  it.each([
    ['protobuf', fromProto],
    ['json', fromJson],
  ])('%s: every metric is what the SDK collected', (_, req) => {
    expect(req.resourceMetrics).toHaveLength(1);
    expect(req.resourceMetrics[0]!.resource.attributes).toMatchObject({ 'service.name': 'billing', 'deployment.environment': 'test' });
    expect(req.resourceMetrics[0]!.scopeMetrics.map((s) => s.scope)).toStrictEqual([{ name: 'pulse.metrics', version: '2.0.0', attributes: {} }]);
    const got = byName(req);
    const sdkMetrics = rm.scopeMetrics[0]!.metrics;
    expect(sdkMetrics).toHaveLength(8);
    for (const m of sdkMetrics) expect(got.get(m.descriptor.name), m.descriptor.name).toStrictEqual(expectedMetric(m));
  });

  it.each([
    ['protobuf', fromProto],
    ['json', fromJson],
  ])('%s: the values themselves', (_, req) => {
    const got = byName(req);
    const requests = got.get('http.requests')!;
    expect(requests.unit).toBe('{request}');
    expect(requests.data.type === 'sum' && requests.data.isMonotonic).toBe(true);
    if (requests.data.type !== 'sum') throw new Error('not a sum');
    expect(requests.data.temporality).toBe(t === AggregationTemporality.DELTA ? 1 : 2);
    expect(requests.data.points.map((p) => [p.attributes, p.value])).toStrictEqual([
      [{ route: '/a', code: 200 }, 5],
      [{ route: '/b', code: 500 }, 2],
    ]);
    expect(got.get('bytes.huge')!.data).toMatchObject({ points: [{ value: 2n ** 60n }] });
    expect(got.get('cpu.seconds')!.data).toMatchObject({ type: 'sum', points: [{ value: 1.25, attributes: { cpu: 0 } }] });
    expect(got.get('queue.depth')!.data).toMatchObject({ type: 'sum', isMonotonic: false, points: [{ value: -3 }] });
    expect(got.get('room.temperature')!.data).toMatchObject({ type: 'gauge', points: [{ value: 21.5, attributes: { room: 'server', floor: -1 } }] });
    expect(got.get('process.threads')!.data).toMatchObject({ type: 'gauge', points: [{ value: 17 }] });
    expect(got.get('latency')!.data).toMatchObject({
      type: 'histogram',
      points: [{ count: 5, sum: 604.5, min: 5, max: 500, explicitBounds: [10, 50, 100], bucketCounts: [2, 1, 1, 1] }],
    });
    const exp = got.get('latency.exp')!.data;
    if (exp.type !== 'exponentialHistogram') throw new Error('not an exponential histogram');
    const p = exp.points[0]!;
    expect([p.count, p.zeroCount, p.min, p.max, p.sum]).toStrictEqual([8, 1, 0, 1000, 1015.501]);
    expect(p.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(7);
    expect(p.positive.bucketCounts.length).toBeGreaterThan(1);
  });
});
