// OTLP metrics to what each service's object stores (issue #12, docs/apm.md "Metrics"):
// http.server.request.duration / http.server.duration histograms become duration points for the
// golden signals (the object diffs cumulative ones and decides the source), every other metric
// becomes custom series values. Every data point is checked here; a bad one is rejected (counted
// in partial_success with the first reason) and the rest of the request is kept.
import { APM_LIMITS, UNKNOWN_SERVICE } from '../../protocol/apm.ts';
import {
  APM_METRIC_LIMITS,
  DURATION_METRICS,
  OTEL_LABEL_KEY,
  OTEL_METRIC_NAME,
  TIME_UNITS_MS,
  type CustomMetricInfo,
  type CustomMetricType,
  type DurationPointWire,
  type HistogramCounts,
  type ServiceMetricsBatch,
} from '../../protocol/apm-metrics.ts';
import type { LabelledValue, Sample } from '../../protocol/ingest.ts';
import type { Attrs, AttrValue, ExpHistogramPoint, HistogramPoint, Metric, MetricsRequest } from '../../protocol/otlp/types.ts';
import { labelsKey, type Labels } from '../../protocol/series.ts';
import { checkHistogram } from '../../durable-objects/core/histogram-signals.ts';
import { cleanName, isServerErrorStatus, routeOf } from './server-spans.ts';

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: a point that only marks a gap. */
const NO_RECORDED_VALUE = 1;
const DELTA = 1;
const CUMULATIVE = 2;

/** A canonical text of an attribute value (sorted keys), for series identity. */
function canon(v: AttrValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `b:${Array.from(v, (x) => x.toString(16).padStart(2, '0')).join('')}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon(v[k]!)}`)
    .join(',')}}`;
}

/** 64 bits of two 32-bit FNV-1a style hashes: a series key (one service's series, never an attacker's choice of another's). */
function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

const str = (v: AttrValue | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A point's attributes as series labels, or why they cannot be. */
function labelsOf(a: Attrs): Labels | string {
  const keys = Object.keys(a);
  if (keys.length > APM_METRIC_LIMITS.maxAttributes) return `more than ${APM_METRIC_LIMITS.maxAttributes} attributes`;
  const out: Labels = {};
  for (const k of keys) {
    if (!OTEL_LABEL_KEY.test(k)) return `attribute key "${cleanName(k, 64)}" is not usable as a label ([A-Za-z_][A-Za-z0-9_./-]*, at most 128)`;
    const v = a[k]!;
    const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : canon(v);
    if (s.length > APM_METRIC_LIMITS.maxAttributeValueLength) return `attribute "${k}" is longer than ${APM_METRIC_LIMITS.maxAttributeValueLength} characters`;
    out[k] = s;
  }
  return out;
}

function histogramCounts(p: HistogramPoint | ExpHistogramPoint): HistogramCounts {
  const tail = { count: p.count, sum: p.sum ?? null, min: p.min ?? null, max: p.max ?? null };
  if ('explicitBounds' in p) return { kind: 'explicit', bounds: p.explicitBounds, counts: p.bucketCounts, ...tail };
  return {
    kind: 'exponential',
    scale: p.scale,
    zeroCount: p.zeroCount,
    positiveOffset: p.positive.offset,
    positive: p.positive.bucketCounts,
    negativeOffset: p.negative.offset,
    negative: p.negative.bucketCounts,
    ...tail,
  };
}

interface ServiceAcc {
  hosts: Set<string>;
  durations: DurationPointWire[];
  /** ts -> metric -> labels key -> value (a repeat of the same series and time: the last wins). */
  values: Map<number, Map<string, Map<string, LabelledValue>>>;
  catalog: Map<string, CustomMetricInfo>;
}

export interface AggregatedMetrics {
  services: Map<string, Omit<ServiceMetricsBatch, 'batchId'>>;
  /** Every data point of the request (what the rate limit counts). */
  points: number;
  rejected: number;
  problem: string;
}

const pointsOf = (m: Metric): { attributes: Attrs; timeUnixNano: bigint; flags: number }[] => (m.data.type === 'none' ? [] : m.data.points);

export function aggregateMetrics(req: MetricsRequest, now: number): AggregatedMetrics {
  const minTime = BigInt(now - APM_LIMITS.acceptPastMs) * 1_000_000n;
  const maxTime = BigInt(now + APM_LIMITS.acceptFutureMs) * 1_000_000n;
  const accs = new Map<string, ServiceAcc>();
  let points = 0;
  let rejected = 0;
  let problem = '';
  const reject = (where: string, why: string, n = 1) => {
    rejected += n;
    if (!problem) problem = `${where}: ${why}`;
  };

  req.resourceMetrics.forEach((rm, ri) => {
    const ra = rm.resource.attributes;
    const service = cleanName(str(ra['service.name']) ?? UNKNOWN_SERVICE, APM_LIMITS.maxServiceNameLength);
    const resourceKey = canon(ra);
    let acc: ServiceAcc | undefined;
    const serviceAcc = (where: string): ServiceAcc | undefined => {
      if (acc) return acc;
      acc = accs.get(service);
      if (!acc) {
        if (accs.size >= APM_LIMITS.maxServicesPerRequest) {
          reject(where, `more than ${APM_LIMITS.maxServicesPerRequest} services in one request`);
          return undefined;
        }
        accs.set(service, (acc = { hosts: new Set(), durations: [], values: new Map(), catalog: new Map() }));
      }
      for (const k of ['host.name', 'host.id']) {
        const h = str(ra[k]);
        if (h) acc.hosts.add(cleanName(h, 256));
      }
      return acc;
    };

    rm.scopeMetrics.forEach((sm, si) => {
      sm.metrics.forEach((m, mi) => {
        const at = `resourceMetrics[${ri}].scopeMetrics[${si}].metrics[${mi}]`;
        const all = pointsOf(m);
        points += all.length;
        if (all.length === 0) return;
        if (!OTEL_METRIC_NAME.test(m.name)) return reject(at, `metric name "${cleanName(m.name, 64)}" is not an OpenTelemetry instrument name`, all.length);
        const temporality = m.data.type === 'sum' || m.data.type === 'histogram' || m.data.type === 'exponentialHistogram' ? m.data.temporality : null;
        if (temporality !== null && temporality !== DELTA && temporality !== CUMULATIVE)
          return reject(at, 'aggregation temporality is unspecified (must be delta or cumulative)', all.length);
        const duration = DURATION_METRICS[m.name];
        const isHistogram = m.data.type === 'histogram' || m.data.type === 'exponentialHistogram';
        let unitMs = 0;
        if (duration && isHistogram) {
          const unit = m.unit || duration.defaultUnit;
          unitMs = TIME_UNITS_MS[unit] ?? 0;
          if (!unitMs) return reject(at, `unit "${cleanName(m.unit, 32)}" of ${m.name} is not a time unit (s, ms, us, ns)`, all.length);
        }
        const seriesPrefix = `${resourceKey}\u0000${sm.scope.name}\u0000${sm.scope.version}\u0000${m.name}\u0000`;

        all.forEach((p, pi) => {
          const where = `${at}.dataPoints[${pi}]`;
          if (p.flags & NO_RECORDED_VALUE) return; // a gap marker: accepted, nothing to store
          if (p.timeUnixNano === 0n) return reject(where, 'missing time');
          if (p.timeUnixNano < minTime || p.timeUnixNano > maxTime) return reject(where, 'time is more than 15 minutes old or 5 minutes ahead of the server clock');
          const ts = Number(p.timeUnixNano / 1_000_000n);

          if (unitMs) {
            const hp = p as HistogramPoint | ExpHistogramPoint;
            const hist = histogramCounts(hp);
            const bad = checkHistogram(hist, APM_METRIC_LIMITS.maxBuckets);
            if (bad) return reject(where, bad);
            const a = serviceAcc(where);
            if (!a) return;
            a.durations.push({
              key: hash64(seriesPrefix + canon(p.attributes)),
              start: String(hp.startTimeUnixNano),
              time: ts,
              route: routeOf(p.attributes),
              error: str(p.attributes['error.type']) !== undefined || isServerErrorStatus(p.attributes),
              cumulative: temporality === CUMULATIVE,
              unitMs,
              hist,
            });
            return;
          }

          // A custom series value (or two: a histogram's or summary's count and sum).
          const values: [name: string, type: CustomMetricType, value: number, unit: string][] = [];
          const d = m.data;
          if (d.type === 'gauge' || d.type === 'sum') {
            const v = (p as (typeof d.points)[number]).value;
            values.push([m.name, d.type, Number(v), m.unit]);
          } else if (d.type === 'histogram' || d.type === 'exponentialHistogram' || d.type === 'summary') {
            const hp = p as unknown as { count: number; sum?: number };
            const kind = d.type === 'summary' ? 'summary' : 'histogram';
            values.push([`${m.name}.count`, `${kind}.count`, hp.count, '']);
            if (hp.sum !== undefined) values.push([`${m.name}.sum`, `${kind}.sum`, hp.sum, m.unit]);
          }
          for (const [name, , value] of values) {
            if (name.length > APM_METRIC_LIMITS.maxMetricNameLength) return reject(where, `"${cleanName(name, 64)}…" is longer than ${APM_METRIC_LIMITS.maxMetricNameLength} characters`);
            if (!Number.isFinite(value)) return reject(where, 'value is not a finite number');
          }
          const labels = labelsOf(p.attributes);
          if (typeof labels === 'string') return reject(where, labels);
          const a = serviceAcc(where);
          if (!a) return;
          const lk = labelsKey(labels);
          let byMetric = a.values.get(ts);
          if (!byMetric) a.values.set(ts, (byMetric = new Map()));
          for (const [name, type, value, unit] of values) {
            let series = byMetric.get(name);
            if (!series) byMetric.set(name, (series = new Map()));
            series.set(lk, { labels, value });
            const temp = temporality === DELTA ? 'delta' : temporality === CUMULATIVE ? 'cumulative' : null;
            a.catalog.set(name, { name, type, unit: cleanName(unit, 64), description: cleanName(m.description, 500), temporality: temp, monotonic: d.type === 'sum' ? d.isMonotonic : null });
          }
        });
      });
    });
  });

  const services = new Map<string, Omit<ServiceMetricsBatch, 'batchId'>>();
  for (const [service, a] of accs) {
    const samples: Sample[] = [...a.values.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([ts, byMetric]) => ({ ts, metrics: Object.fromEntries([...byMetric].map(([name, series]) => [name, [...series.values()]])) }));
    if (a.durations.length || samples.length) services.set(service, { service, hosts: [...a.hosts], durations: a.durations, samples, catalog: [...a.catalog.values()] });
  }
  return { services, points, rejected, problem };
}
