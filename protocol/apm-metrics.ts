// OTLP metrics for services (issue #12, POST /v1/metrics): the limits, what the worker sends a
// service object (duration histogram points for golden signals, other metrics as custom series),
// and the shapes of the service metrics query API. Rules and reasons: docs/apm.md, "Metrics".
import { z } from 'zod';
import type { Sample } from './ingest.ts';
import { LIMITS as INGEST_LIMITS } from './ingest.ts';
import { HistoryResponse } from './query.ts';

export const APM_METRIC_LIMITS = {
  /** Custom series (metric name + attributes) a service keeps; points of further series are rejected. */
  maxCustomSeriesPerService: 1000,
  /** Attributes of one custom data point (the same 8 labels as a host's custom metric). */
  maxAttributes: INGEST_LIMITS.maxLabelsPerValue,
  maxAttributeValueLength: 256,
  /** OpenTelemetry's instrument name limit. */
  maxMetricNameLength: 255,
  /** Cumulative duration histogram series whose last point a service remembers (to diff the next). */
  maxHistogramSeriesPerService: 2000,
  /** Explicit bounds, or exponential buckets on one side, of one histogram point. */
  maxBuckets: 1000,
  /** A remembered cumulative histogram series not updated for this long is forgotten. */
  histogramStateTtlMs: 3600_000,
  /** A custom series not seen for this long stops counting against the series cap. */
  customSeriesTtlMs: 48 * 3600_000,
  /** Histogram-derived signals are ignored while server spans arrived within this (docs/apm.md). */
  spanPrecedenceMs: 5 * 60_000,
} as const;

/** OpenTelemetry instrument name syntax. */
export const OTEL_METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;
/** Attribute keys usable as series labels (protocol/series.ts parses these). */
export const OTEL_LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_.\-/]{0,127}$/;

/**
 * The HTTP server duration histograms that give a service golden signals: the stable semantic
 * convention (seconds) and the older one (milliseconds). Unit used when the metric names none.
 */
export const DURATION_METRICS: Readonly<Record<string, { defaultUnit: string }>> = {
  'http.server.request.duration': { defaultUnit: 's' },
  'http.server.duration': { defaultUnit: 'ms' },
};

/** Milliseconds per unit of a duration histogram (UCUM units the SDKs use). */
export const TIME_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6, min: 60_000 };

/**
 * Process (and system) metrics a service's saturation view shows when none of the organization's
 * hosts matches it (GET /api/v1/services/{service}/saturation).
 */
export const SATURATION_METRICS = [
  'process.cpu.utilization',
  'process.memory.usage',
  'process.memory.utilization',
  'process.memory.virtual',
  'system.cpu.utilization',
  'system.memory.usage',
  'system.memory.utilization',
] as const;

/** A histogram point's buckets, explicit or exponential, with what it says about its values. */
export type HistogramCounts =
  | {
      kind: 'explicit';
      bounds: number[];
      /** bounds.length + 1 counts, or none (a point with count and sum only). */
      counts: number[];
      count: number;
      sum: number | null;
      min: number | null;
      max: number | null;
    }
  | {
      kind: 'exponential';
      scale: number;
      zeroCount: number;
      positiveOffset: number;
      positive: number[];
      negativeOffset: number;
      negative: number[];
      count: number;
      sum: number | null;
      min: number | null;
      max: number | null;
    };

/** One data point of a duration histogram, for the service object to turn into signals. */
export interface DurationPointWire {
  /** Series identity: resource, scope, metric name and point attributes (hashed). */
  key: string;
  /** startTimeUnixNano as a decimal string ('0' when unset): a new one is a reset. */
  start: string;
  /** timeUnixNano in epoch ms: the second the requests are counted in. */
  time: number;
  /** The route as server spans would name it (worker/otlp/server-spans.ts routeOf). */
  route: string;
  /** status >= 500 or error.type: every request of the point is an error. */
  error: boolean;
  cumulative: boolean;
  /** Milliseconds per unit of the histogram's values. */
  unitMs: number;
  hist: HistogramCounts;
}

export type CustomMetricType = 'gauge' | 'sum' | 'histogram.count' | 'histogram.sum' | 'summary.count' | 'summary.sum';

/** What the service lists about one stored custom metric. */
export interface CustomMetricInfo {
  name: string;
  type: CustomMetricType;
  unit: string;
  description: string;
  temporality: 'delta' | 'cumulative' | null;
  monotonic: boolean | null;
}

/** What the worker sends a service object per /v1/metrics request. */
export interface ServiceMetricsBatch {
  /** Digest of the request body: an SDK's retry of the same body is counted once. */
  batchId: string;
  service: string;
  hosts: string[];
  durations: DurationPointWire[];
  /** Custom series values, one Sample per timestamp (ms); labels are the point attributes. */
  samples: Sample[];
  /** For every metric name in `samples`. */
  catalog: CustomMetricInfo[];
}

export interface ServiceMetricsResult {
  duplicate: boolean;
  /** Requests counted into the golden signals from duration histograms. */
  requests: number;
  /** Requests of duration histograms not counted because server spans cover them (docs/apm.md). */
  ignoredRequests: number;
  /** Custom values stored. */
  values: number;
  /** Data points the object refused (series cap, bad cumulative sequence), and the first reason. */
  rejected: number;
  problem: string;
}

// ---- query API ------------------------------------------------------------------------------

export const ServiceMetricName = z
  .string()
  .regex(OTEL_METRIC_NAME, 'is not an OpenTelemetry metric name')
  .describe('a name listed by GET /api/v1/services/{service}/metrics');

export const CustomMetricRow = z.object({
  name: z.string(),
  type: z.enum(['gauge', 'sum', 'histogram.count', 'histogram.sum', 'summary.count', 'summary.sum']),
  unit: z.string(),
  description: z.string(),
  temporality: z.enum(['delta', 'cumulative']).nullable().describe('sums and histograms: values are stored as sent (a cumulative one stays cumulative)'),
  monotonic: z.boolean().nullable(),
  series: z.number().describe('attribute sets seen in the last 48 hours'),
  lastSeen: z.number().describe('epoch ms'),
});
export type CustomMetricRow = z.infer<typeof CustomMetricRow>;

export const ServiceMetricsList = z.object({
  service: z.string(),
  metrics: z.array(CustomMetricRow),
  seriesLimit: z.number(),
});
export type ServiceMetricsList = z.infer<typeof ServiceMetricsList>;

/** The host history answer, for a service's custom series. */
export const ServiceMetricHistory = HistoryResponse.omit({ host: true }).extend({ service: z.string() });
export type ServiceMetricHistory = z.infer<typeof ServiceMetricHistory>;

export const SaturationValue = z.object({
  metric: z.string(),
  unit: z.string(),
  labels: z.record(z.string(), z.string()),
  value: z.number(),
  ts: z.number(),
});
export type SaturationValue = z.infer<typeof SaturationValue>;

export const ServiceSaturation = z.object({
  service: z.string(),
  hosts: z.array(z.string()).describe('organization host ids matched from the host.name / host.id resource attributes'),
  source: z.enum(['hosts', 'process', 'none']).describe('hosts when a host matches (show its metrics), else process when the service sends process metrics'),
  process: z.array(SaturationValue).describe('the latest value of each process/system metric series within the last 15 minutes'),
});
export type ServiceSaturation = z.infer<typeof ServiceSaturation>;
