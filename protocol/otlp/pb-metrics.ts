// Protobuf ExportMetricsServiceRequest -> MetricsRequest (field numbers from metrics.proto).
// Exemplars and metric metadata are skipped.
import { readEnvelope, readKeyValue } from './pb-common.ts';
import { within } from './shared.ts';
import type { ExpBuckets, ExpHistogramPoint, HistogramPoint, Metric, MetricData, MetricsRequest, NumberPoint, SummaryPoint } from './types.ts';
import { fieldName, fields, Reader } from './wire.ts';

const METRIC = fields({
  1: ['name', 2],
  2: ['description', 2],
  3: ['unit', 2],
  5: ['gauge', 2],
  7: ['sum', 2],
  9: ['histogram', 2],
  10: ['exponentialHistogram', 2],
  11: ['summary', 2],
  12: ['metadata', 2],
});
const DATA = fields({ 1: ['dataPoints', 2], 2: ['aggregationTemporality', 0], 3: ['isMonotonic', 0] });
const NUMBER = fields({ 7: ['attributes', 2], 2: ['startTimeUnixNano', 1], 3: ['timeUnixNano', 1], 4: ['asDouble', 1], 6: ['asInt', 1], 5: ['exemplars', 2], 8: ['flags', 0] });
const HISTOGRAM = fields({
  9: ['attributes', 2],
  2: ['startTimeUnixNano', 1],
  3: ['timeUnixNano', 1],
  4: ['count', 1],
  5: ['sum', 1],
  6: ['bucketCounts', 1],
  7: ['explicitBounds', 1],
  8: ['exemplars', 2],
  10: ['flags', 0],
  11: ['min', 1],
  12: ['max', 1],
});
const EXP = fields({
  1: ['attributes', 2],
  2: ['startTimeUnixNano', 1],
  3: ['timeUnixNano', 1],
  4: ['count', 1],
  5: ['sum', 1],
  6: ['scale', 0],
  7: ['zeroCount', 1],
  8: ['positive', 2],
  9: ['negative', 2],
  10: ['flags', 0],
  11: ['exemplars', 2],
  12: ['min', 1],
  13: ['max', 1],
  14: ['zeroThreshold', 1],
});
const BUCKETS = fields({ 1: ['offset', 0], 2: ['bucketCounts', 0] });
const SUMMARY = fields({ 7: ['attributes', 2], 2: ['startTimeUnixNano', 1], 3: ['timeUnixNano', 1], 4: ['count', 1], 5: ['sum', 1], 6: ['quantileValues', 2], 8: ['flags', 0] });
const QUANTILE = fields({ 1: ['quantile', 1], 2: ['value', 1] });

const NAMES = ['resourceMetrics', 'scopeMetrics', 'metrics'] as const;
const TYPES = { 0x2a: 'gauge', 0x3a: 'sum', 0x4a: 'histogram', 0x52: 'exponentialHistogram', 0x5a: 'summary' } as const;

export function decodeMetricsProto(body: Uint8Array): MetricsRequest {
  return readEnvelope(body, NAMES, readMetric) as unknown as MetricsRequest;
}

function readMetric(r: Reader, end: number): Metric {
  const m: Metric = { name: '', description: '', unit: '', data: { type: 'none' } };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a:
          m.name = r.string(end);
          break;
        case 0x12:
          m.description = r.string(end);
          break;
        case 0x1a:
          m.unit = r.string(end);
          break;
        case 0x2a:
        case 0x3a:
        case 0x4a:
        case 0x52:
        case 0x5a: {
          // The data oneof: a repeat of the same member merges into it, another member replaces it.
          const type = TYPES[tag as keyof typeof TYPES];
          if (m.data.type !== type) m.data = newData(type);
          readData(r, r.len(end), m.data);
          break;
        }
        default:
          r.other(tag, end, METRIC);
      }
    }
  } catch (e) {
    throw within(e, fieldName(METRIC, tag));
  }
  return m;
}

function newData(type: (typeof TYPES)[keyof typeof TYPES]): MetricData {
  switch (type) {
    case 'gauge':
      return { type, points: [] };
    case 'sum':
      return { type, points: [], temporality: 0, isMonotonic: false };
    case 'summary':
      return { type, points: [] };
    default:
      return { type, points: [], temporality: 0 };
  }
}

function readData(r: Reader, end: number, d: MetricData): void {
  if (d.type === 'none') return;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) {
        const e = r.len(end);
        if (d.type === 'gauge' || d.type === 'sum') d.points.push(readNumber(r, e));
        else if (d.type === 'histogram') d.points.push(readHistogram(r, e));
        else if (d.type === 'exponentialHistogram') d.points.push(readExp(r, e));
        else d.points.push(readSummary(r, e));
      } else if (tag === 0x10 && d.type !== 'gauge' && d.type !== 'summary') d.temporality = r.int32(end);
      else if (tag === 0x18 && d.type === 'sum') d.isMonotonic = r.bool(end);
      else r.other(tag, end, DATA);
    }
  } catch (e) {
    throw within(e, tag === 0x0a ? `dataPoints[${d.points.length}]` : fieldName(DATA, tag));
  }
}

function readNumber(r: Reader, end: number): NumberPoint {
  const p: NumberPoint = { attributes: {}, startTimeUnixNano: 0n, timeUnixNano: 0n, value: 0, flags: 0 };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x3a) readKeyValue(r, r.len(end), p.attributes, 0);
      else if (tag === 0x11) p.startTimeUnixNano = r.fixed64(end);
      else if (tag === 0x19) p.timeUnixNano = r.fixed64(end);
      else if (tag === 0x21) p.value = r.double(end);
      else if (tag === 0x31) p.value = r.sfixed64(end);
      else if (tag === 0x40) p.flags = r.varint(end);
      else r.other(tag, end, NUMBER);
    }
  } catch (e) {
    throw within(e, fieldName(NUMBER, tag));
  }
  return p;
}

function readHistogram(r: Reader, end: number): HistogramPoint {
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
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x4a:
          readKeyValue(r, r.len(end), p.attributes, 0);
          break;
        case 0x11:
          p.startTimeUnixNano = r.fixed64(end);
          break;
        case 0x19:
          p.timeUnixNano = r.fixed64(end);
          break;
        case 0x21:
          p.count = r.fixed64Number(end);
          break;
        case 0x29:
          p.sum = r.double(end);
          break;
        case 0x31:
        case 0x32:
          r.packed(tag, 1, end, r.fixed64Number, p.bucketCounts);
          break;
        case 0x39:
        case 0x3a:
          r.packed(tag, 1, end, r.double, p.explicitBounds);
          break;
        case 0x50:
          p.flags = r.varint(end);
          break;
        case 0x59:
          p.min = r.double(end);
          break;
        case 0x61:
          p.max = r.double(end);
          break;
        default:
          r.other(tag, end, HISTOGRAM);
      }
    }
  } catch (e) {
    throw within(e, fieldName(HISTOGRAM, tag));
  }
  return p;
}

function readExp(r: Reader, end: number): ExpHistogramPoint {
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
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a:
          readKeyValue(r, r.len(end), p.attributes, 0);
          break;
        case 0x11:
          p.startTimeUnixNano = r.fixed64(end);
          break;
        case 0x19:
          p.timeUnixNano = r.fixed64(end);
          break;
        case 0x21:
          p.count = r.fixed64Number(end);
          break;
        case 0x29:
          p.sum = r.double(end);
          break;
        case 0x30:
          p.scale = r.sint32(end);
          break;
        case 0x39:
          p.zeroCount = r.fixed64Number(end);
          break;
        case 0x42:
          readBuckets(r, r.len(end), p.positive);
          break;
        case 0x4a:
          readBuckets(r, r.len(end), p.negative);
          break;
        case 0x50:
          p.flags = r.varint(end);
          break;
        case 0x61:
          p.min = r.double(end);
          break;
        case 0x69:
          p.max = r.double(end);
          break;
        case 0x71:
          p.zeroThreshold = r.double(end);
          break;
        default:
          r.other(tag, end, EXP);
      }
    }
  } catch (e) {
    throw within(e, fieldName(EXP, tag));
  }
  return p;
}

function readBuckets(r: Reader, end: number, into: ExpBuckets): void {
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x08) into.offset = r.sint32(end);
      else if (tag === 0x10 || tag === 0x12) r.packed(tag, 0, end, r.uint64, into.bucketCounts);
      else r.other(tag, end, BUCKETS);
    }
  } catch (e) {
    throw within(e, fieldName(BUCKETS, tag));
  }
}

function readSummary(r: Reader, end: number): SummaryPoint {
  const p: SummaryPoint = { attributes: {}, startTimeUnixNano: 0n, timeUnixNano: 0n, count: 0, sum: 0, quantileValues: [], flags: 0 };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x3a) readKeyValue(r, r.len(end), p.attributes, 0);
      else if (tag === 0x11) p.startTimeUnixNano = r.fixed64(end);
      else if (tag === 0x19) p.timeUnixNano = r.fixed64(end);
      else if (tag === 0x21) p.count = r.fixed64Number(end);
      else if (tag === 0x29) p.sum = r.double(end);
      else if (tag === 0x32) p.quantileValues.push(readQuantile(r, r.len(end)));
      else if (tag === 0x40) p.flags = r.varint(end);
      else r.other(tag, end, SUMMARY);
    }
  } catch (e) {
    throw within(e, tag === 0x32 ? `quantileValues[${p.quantileValues.length}]` : fieldName(SUMMARY, tag));
  }
  return p;
}

function readQuantile(r: Reader, end: number): { quantile: number; value: number } {
  const q = { quantile: 0, value: 0 };
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x09) q.quantile = r.double(end);
      else if (tag === 0x11) q.value = r.double(end);
      else r.other(tag, end, QUANTILE);
    }
  } catch (e) {
    throw within(e, fieldName(QUANTILE, tag));
  }
  return q;
}
