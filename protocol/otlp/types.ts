// Decoded OTLP requests, the same whether they came as protobuf or as JSON.
// Mapping rules both decoders share (docs/otlp.md):
// - intValue -> number when it is a safe integer, else bigint; doubleValue -> number;
//   bytesValue -> Uint8Array; arrayValue -> AttrValue[]; kvlistValue -> plain object.
// - An empty AnyValue (no value set, what SDKs send for null/undefined) is skipped: the attribute
//   is left out of Attrs, the element out of an array, and a log body becomes undefined.
// - Ids are lowercase hex of the bytes as sent, whatever their length (validateSpan and
//   validateLogRecord judge them). Optional ids that are all zeros (parentSpanId, a log's
//   traceId/spanId) decode to '' as if absent.
// - 64-bit times are bigint nanoseconds; 64-bit counts are numbers.

export type AttrValue = string | boolean | number | bigint | Uint8Array | AttrValue[] | { [key: string]: AttrValue };
export type Attrs = Record<string, AttrValue>;

export interface Resource {
  attributes: Attrs;
  droppedAttributesCount: number;
}

export interface Scope {
  name: string;
  version: string;
  attributes: Attrs;
}

// ---- traces ----

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attrs;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attrs;
  flags: number;
}

export interface Span {
  traceId: string; // 32 lowercase hex when valid
  spanId: string; // 16 lowercase hex when valid
  parentSpanId: string; // '' if none
  traceState: string;
  name: string;
  kind: number; // 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attrs;
  droppedAttributesCount: number;
  events: SpanEvent[];
  links: SpanLink[];
  status: { code: number /* 0 unset, 1 ok, 2 error */; message: string };
  flags: number;
  /**
   * Decoded with onlyAttributes (pb-traces.ts): `attributes` holds only those keys, and the
   * span's bytes are here until spanAttributes() makes the rest. Absent from a full decode.
   */
  deferred?: { buf: Uint8Array; start: number; end: number } | null;
}

export interface ScopeSpans {
  scope: Scope;
  schemaUrl: string;
  spans: Span[];
}

export interface ResourceSpans {
  resource: Resource;
  schemaUrl: string;
  scopeSpans: ScopeSpans[];
}

export interface TracesRequest {
  resourceSpans: ResourceSpans[];
}

// ---- metrics ----

export interface NumberPoint {
  attributes: Attrs;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value: number | bigint; // asDouble, or asInt (bigint only when not a safe integer); 0 if neither
  flags: number;
}

export interface HistogramPoint {
  attributes: Attrs;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: number;
  sum?: number;
  bucketCounts: number[];
  explicitBounds: number[];
  min?: number;
  max?: number;
  flags: number;
}

export interface ExpBuckets {
  offset: number;
  bucketCounts: number[];
}

export interface ExpHistogramPoint {
  attributes: Attrs;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: number;
  sum?: number;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: ExpBuckets;
  negative: ExpBuckets;
  min?: number;
  max?: number;
  flags: number;
}

export interface SummaryPoint {
  attributes: Attrs;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: number;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
  flags: number;
}

export type MetricData =
  | { type: 'gauge'; points: NumberPoint[] }
  | { type: 'sum'; points: NumberPoint[]; temporality: number; isMonotonic: boolean }
  | { type: 'histogram'; points: HistogramPoint[]; temporality: number }
  | { type: 'exponentialHistogram'; points: ExpHistogramPoint[]; temporality: number }
  | { type: 'summary'; points: SummaryPoint[] }
  | { type: 'none' };

export interface Metric {
  name: string;
  description: string;
  unit: string;
  data: MetricData;
}

export interface ScopeMetrics {
  scope: Scope;
  schemaUrl: string;
  metrics: Metric[];
}

export interface ResourceMetrics {
  resource: Resource;
  schemaUrl: string;
  scopeMetrics: ScopeMetrics[];
}

export interface MetricsRequest {
  resourceMetrics: ResourceMetrics[];
}

// ---- logs ----

export interface LogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number; // 0..24
  severityText: string;
  body: AttrValue | undefined;
  attributes: Attrs;
  droppedAttributesCount: number;
  flags: number;
  traceId: string; // '' if absent
  spanId: string; // '' if absent
  eventName: string;
}

export interface ScopeLogs {
  scope: Scope;
  schemaUrl: string;
  logRecords: LogRecord[];
}

export interface ResourceLogs {
  resource: Resource;
  schemaUrl: string;
  scopeLogs: ScopeLogs[];
}

export interface LogsRequest {
  resourceLogs: ResourceLogs[];
}
