// Stored spans (issue #14, docs/traces.md): the limits of what is kept, the sampling figures, the
// worker <-> service object sampling exchange and the shapes of the trace API. Shared by the
// worker, the service object and the site.
import { z } from 'zod';

export const TRACE_LIMITS = {
  /** Attributes kept per span, event, link and resource; the rest are dropped and counted. */
  maxAttributes: 128,
  /** Attribute keys longer than this are truncated (and marked). */
  maxKeyLength: 256,
  /** String values (and bytes, before base64) longer than this are truncated (and marked). */
  maxValueLength: 4096,
  /** Array elements kept per array value (nested values count on their own). */
  maxArrayLength: 128,
  maxEvents: 128,
  maxLinks: 128,
  /** Span names and status messages. */
  maxNameLength: 1024,
  /** The whole JSON of a span's attributes, events, links and resource: past it events, then links are dropped. */
  maxSpanJsonBytes: 64 * 1024,
  /** Spans a trace lookup answers (the earliest first). */
  maxSpansPerTrace: 2000,
} as const;

/** The marker a truncated string (value or key) ends with. */
export const TRUNCATED_MARK = '…';

export const TRACE_SAMPLING = {
  /** Sampled ("the rest") spans stored per service per minute of arrival, at most. */
  sampledSpansPerMinute: 1200,
  /**
   * ...and at most this many at once: the allowance refills at the cap's rate (20/s), so a busy
   * service's first seconds cannot take the whole minute's cap (and its write) in one burst.
   */
  sampleBurst: 300,
  /** Each route's slowest server spans per minute (of their end time) that are stored. */
  slowestPerRouteMinute: 5,
  /** Levels 0..32: a trace's level is the leading zero bits of its 32-bit hash; 33 keeps none. */
  maxLevel: 33,
  retentionMs: 7 * 86_400_000,
} as const;

/** Why a span was stored. */
export type KeptReason = 'error' | 'slow' | 'sample';

/** A service's spans of one request, summarised for its object's sampling decision. */
export interface SpanSampling {
  /** levels[k]: spans of this service whose trace has level k (0..32). */
  levels: number[];
  /** Up to `slowestPerRouteMinute` server spans per route and minute: the request's slowest. */
  slow: { route: string; endMs: number; ms: number; spanId: string; traceId: string }[];
}

/** The object's answer: traces of level >= `level` are sampled; slow[i] says if candidate i is kept. */
export interface SamplingDecision {
  level: number;
  slow: boolean[];
}

export const TraceIdParam = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits')
  .refine((s) => !/^0+$/.test(s), 'must not be all zeros')
  .transform((s) => s.toLowerCase());

const Json = z.unknown();

export const StoredSpan = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().describe("'' for a root span"),
  service: z.string(),
  route: z.string().nullable().describe('the route a server span counts under; null for other spans'),
  name: z.string(),
  kind: z.number().int().describe('0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer'),
  startUs: z.number().describe('start, epoch microseconds'),
  durationMs: z.number(),
  error: z.boolean(),
  statusCode: z.number().int().describe('0 unset, 1 ok, 2 error'),
  statusMessage: z.string(),
  kept: z.enum(['error', 'slow', 'sample']),
  attributes: z.record(z.string(), Json),
  resource: z.record(z.string(), Json),
  events: z.array(z.object({ timeUs: z.number(), name: z.string(), attributes: z.record(z.string(), Json) })),
  links: z.array(z.object({ traceId: z.string(), spanId: z.string(), attributes: z.record(z.string(), Json) })),
  dropped: z
    .object({ attributes: z.number(), events: z.number(), links: z.number(), truncated: z.number() })
    .describe('what the caps (docs/limits.md) or the SDK dropped or truncated'),
});
export type StoredSpan = z.infer<typeof StoredSpan>;

export const TraceResponse = z.object({
  traceId: z.string(),
  services: z.array(z.string()),
  spans: z.array(StoredSpan),
  truncated: z.boolean().describe(`true when the trace has more than ${TRACE_LIMITS.maxSpansPerTrace} stored spans`),
});
export type TraceResponse = z.infer<typeof TraceResponse>;

export const TraceSummary = StoredSpan.pick({ traceId: true, spanId: true, service: true, route: true, name: true, kind: true, startUs: true, durationMs: true, error: true, kept: true }).extend({
  parentSpanId: z.string(),
});
export type TraceSummary = z.infer<typeof TraceSummary>;

export const TraceSearchResponse = z.object({
  spans: z.array(TraceSummary).describe("entry spans (a service's server spans, and root spans), newest first"),
  nextCursor: z.string().nullable(),
});
export type TraceSearchResponse = z.infer<typeof TraceSearchResponse>;

/** A span of a service's exemplar: the slowest of a route and minute, whose trace is stored. */
export const Exemplar = z.object({ ts: z.number().describe('span end, epoch ms'), ms: z.number(), route: z.string(), traceId: z.string(), spanId: z.string() });
export type Exemplar = z.infer<typeof Exemplar>;
