// OTLP/HTTP JSON ExportMetricsServiceRequest -> MetricsRequest (the same records as
// pb-metrics.ts). Exemplars and metric metadata are ignored.
import { bool, dbl, enumValue, envelope, i32, i64, keyValues, mapList, obj, parseJson, str, time, u32, u64, type EnvelopeNames, type Json } from './json-common.ts';
import { within } from './shared.ts';
import type { ExpBuckets, ExpHistogramPoint, HistogramPoint, Metric, MetricData, MetricsRequest, NumberPoint, SummaryPoint } from './types.ts';

export const TEMPORALITIES = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'];

const NAMES: EnvelopeNames = [
  ['resourceMetrics', 'resource_metrics'],
  ['scopeMetrics', 'scope_metrics'],
  ['metrics', 'metrics'],
];

export function decodeMetricsJson(body: Uint8Array): MetricsRequest {
  return envelope(parseJson(body), NAMES, metric) as unknown as MetricsRequest;
}

function metric(v: unknown): Metric {
  const m = obj(v, '');
  const out: Metric = { name: '', description: '', unit: '', data: { type: 'none' } };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    switch (k) {
      case 'name':
        out.name = str(x, k);
        break;
      case 'description':
        out.description = str(x, k);
        break;
      case 'unit':
        out.unit = str(x, k);
        break;
      case 'gauge':
      case 'sum':
      case 'histogram':
      case 'summary':
      case 'exponentialHistogram':
      case 'exponential_histogram':
        try {
          out.data = data(k === 'exponential_histogram' ? 'exponentialHistogram' : k, obj(x, ''));
        } catch (e) {
          throw within(e, k);
        }
        break;
    }
  }
  return out;
}

function data(type: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary', m: Json): MetricData {
  let raw: unknown = [];
  let rawName = 'dataPoints';
  let temporality = 0;
  let isMonotonic = false;
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'dataPoints' || k === 'data_points') {
      raw = x;
      rawName = k;
    } else if (k === 'aggregationTemporality' || k === 'aggregation_temporality') temporality = enumValue(x, k, TEMPORALITIES);
    else if (k === 'isMonotonic' || k === 'is_monotonic') isMonotonic = bool(x, k);
  }
  switch (type) {
    case 'gauge':
      return { type, points: mapList(raw, rawName, numberPoint) };
    case 'sum':
      return { type, points: mapList(raw, rawName, numberPoint), temporality, isMonotonic };
    case 'histogram':
      return { type, points: mapList(raw, rawName, histogramPoint), temporality };
    case 'exponentialHistogram':
      return { type, points: mapList(raw, rawName, expPoint), temporality };
    case 'summary':
      return { type, points: mapList(raw, rawName, summaryPoint) };
  }
}

function numberPoint(v: unknown): NumberPoint {
  const m = obj(v, '');
  const p: NumberPoint = { attributes: {}, startTimeUnixNano: 0n, timeUnixNano: 0n, value: 0, flags: 0 };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'attributes') keyValues(x, p.attributes, k);
    else if (k === 'startTimeUnixNano' || k === 'start_time_unix_nano') p.startTimeUnixNano = time(x, k);
    else if (k === 'timeUnixNano' || k === 'time_unix_nano') p.timeUnixNano = time(x, k);
    else if (k === 'asDouble' || k === 'as_double') p.value = dbl(x, k);
    else if (k === 'asInt' || k === 'as_int') p.value = i64(x, k);
    else if (k === 'flags') p.flags = u32(x, k);
  }
  return p;
}

const u64Item = (x: unknown) => u64(x, '');
const dblItem = (x: unknown) => dbl(x, '');

function histogramPoint(v: unknown): HistogramPoint {
  const m = obj(v, '');
  const p: HistogramPoint = {
    attributes: {},
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    count: 0,
    sum: undefined,
    bucketCounts: [],
    explicitBounds: [],
    min: undefined,
    max: undefined,
    flags: 0,
  };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    switch (k) {
      case 'attributes':
        keyValues(x, p.attributes, k);
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        p.startTimeUnixNano = time(x, k);
        break;
      case 'timeUnixNano':
      case 'time_unix_nano':
        p.timeUnixNano = time(x, k);
        break;
      case 'count':
        p.count = u64(x, k);
        break;
      case 'sum':
        p.sum = dbl(x, k);
        break;
      case 'bucketCounts':
      case 'bucket_counts':
        p.bucketCounts = mapList(x, k, u64Item);
        break;
      case 'explicitBounds':
      case 'explicit_bounds':
        p.explicitBounds = mapList(x, k, dblItem);
        break;
      case 'min':
        p.min = dbl(x, k);
        break;
      case 'max':
        p.max = dbl(x, k);
        break;
      case 'flags':
        p.flags = u32(x, k);
        break;
    }
  }
  return p;
}

function expPoint(v: unknown): ExpHistogramPoint {
  const m = obj(v, '');
  const p: ExpHistogramPoint = {
    attributes: {},
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    count: 0,
    sum: undefined,
    scale: 0,
    zeroCount: 0,
    zeroThreshold: 0,
    positive: { offset: 0, bucketCounts: [] },
    negative: { offset: 0, bucketCounts: [] },
    min: undefined,
    max: undefined,
    flags: 0,
  };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    switch (k) {
      case 'attributes':
        keyValues(x, p.attributes, k);
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        p.startTimeUnixNano = time(x, k);
        break;
      case 'timeUnixNano':
      case 'time_unix_nano':
        p.timeUnixNano = time(x, k);
        break;
      case 'count':
        p.count = u64(x, k);
        break;
      case 'sum':
        p.sum = dbl(x, k);
        break;
      case 'scale':
        p.scale = i32(x, k);
        break;
      case 'zeroCount':
      case 'zero_count':
        p.zeroCount = u64(x, k);
        break;
      case 'zeroThreshold':
      case 'zero_threshold':
        p.zeroThreshold = dbl(x, k);
        break;
      case 'positive':
        buckets(x, k, p.positive);
        break;
      case 'negative':
        buckets(x, k, p.negative);
        break;
      case 'min':
        p.min = dbl(x, k);
        break;
      case 'max':
        p.max = dbl(x, k);
        break;
      case 'flags':
        p.flags = u32(x, k);
        break;
    }
  }
  return p;
}

function buckets(v: unknown, name: string, into: ExpBuckets): void {
  try {
    const m = obj(v, '');
    for (const k in m) {
      const x = m[k];
      if (x === null) continue;
      if (k === 'offset') into.offset = i32(x, k);
      else if (k === 'bucketCounts' || k === 'bucket_counts') into.bucketCounts = mapList(x, k, u64Item);
    }
  } catch (e) {
    throw within(e, name);
  }
}

function summaryPoint(v: unknown): SummaryPoint {
  const m = obj(v, '');
  const p: SummaryPoint = { attributes: {}, startTimeUnixNano: 0n, timeUnixNano: 0n, count: 0, sum: 0, quantileValues: [], flags: 0 };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'attributes') keyValues(x, p.attributes, k);
    else if (k === 'startTimeUnixNano' || k === 'start_time_unix_nano') p.startTimeUnixNano = time(x, k);
    else if (k === 'timeUnixNano' || k === 'time_unix_nano') p.timeUnixNano = time(x, k);
    else if (k === 'count') p.count = u64(x, k);
    else if (k === 'sum') p.sum = dbl(x, k);
    else if (k === 'quantileValues' || k === 'quantile_values') p.quantileValues = mapList(x, k, quantile);
    else if (k === 'flags') p.flags = u32(x, k);
  }
  return p;
}

function quantile(v: unknown): { quantile: number; value: number } {
  const m = obj(v, '');
  const q = { quantile: 0, value: 0 };
  for (const k in m) {
    const x = m[k];
    if (x === null) continue;
    if (k === 'quantile') q.quantile = dbl(x, k);
    else if (k === 'value') q.value = dbl(x, k);
  }
  return q;
}
