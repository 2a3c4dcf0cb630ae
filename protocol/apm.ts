// Application monitoring (issue #12): the limits of OTLP ingest, the compact per-route aggregates
// the worker sends a service object, and the shapes of the service query API and live stream.
// Shared by the worker, the service object and the site.
import { z } from 'zod';
import type { SketchWire } from '../durable-objects/core/sketch.ts';
import type { SloStatus } from '../durable-objects/core/slo.ts';
import type { LiveAnomalies } from './anomalies.ts';
import { Exemplar } from './traces.ts';

export const APM_LIMITS = {
  /** OTLP/HTTP body, after decompression. Every official SDK's default batch (512 spans) fits. */
  maxBodyBytes: 20 * 1024 * 1024,
  /** Routes kept per service; further routes count under OTHER_ROUTE (raw paths cannot blow up memory). */
  maxRoutesPerService: 200,
  maxServiceNameLength: 128,
  maxRouteLength: 200,
  /** Services one request may carry (each is one object call). */
  maxServicesPerRequest: 50,
  /** Spans older than this (by end time) are rejected: the per-second window keeps 15 minutes. */
  acceptPastMs: 15 * 60_000,
  /** Spans from further in the future are rejected (a sender's clock is off). */
  acceptFutureMs: 5 * 60_000,
  /** Per-second signals kept in the service object. */
  secondsKept: 900,
} as const;

/** Where routes past the cap are counted (a name no `METHOD /path` route can have). */
export const OTHER_ROUTE = '(other)';
/** A service without a `service.name` resource attribute (the OTel SDKs' own default). */
export const UNKNOWN_SERVICE = 'unknown_service';

/** One route's signals in one second, as the worker aggregated them from server spans. */
export interface RouteSecondWire {
  sec: number;
  route: string;
  count: number;
  errors: number;
  sketch: SketchWire;
  /**
   * Requests at or under each latency threshold of the service's latency SLOs (key: the
   * threshold in ms, as a string), counted exactly from the spans (docs/slo.md).
   */
  le?: Record<string, number>;
}

/** What the worker sends a service object per request: aggregates, never spans. */
export interface ServiceBatch {
  /** Digest of the request body and the service: an SDK's retry of the same body is counted once. */
  batchId: string;
  service: string;
  /** `host.name` / `host.id` resource attributes seen (saturation: matched to the organization's hosts). */
  hosts: string[];
  entries: RouteSecondWire[];
  /** 'metrics': entries from duration histograms (protocol/apm-metrics.ts); default: server spans. */
  source?: 'spans' | 'metrics';
  /** The latency thresholds (ms) the entries' `le` counts were made for. */
  thresholds?: number[];
}

export interface ServiceIngestResult {
  accepted: number;
  duplicate: boolean;
  /** Nothing was stored: call again with the alert config in the offer (as host objects ask). */
  needConfig?: boolean;
  /** Nothing was stored: the object's SLOs need `le` counts at these thresholds; aggregate again. */
  needThresholds?: number[];
}

export const ServiceNameParam = z
  .string()
  .min(1)
  .max(APM_LIMITS.maxServiceNameLength)
  .regex(/^[^\x00-\x1f\x7f]+$/, 'has control characters');

const Ms = z.number().nullable().describe('milliseconds; null when there were no requests');

export const WindowStats = z.object({
  requests: z.number(),
  errors: z.number(),
  errorRate: z.number().describe('errors / requests, 0 when there were none'),
  rps: z.number(),
  p50: Ms,
  p95: Ms,
  p99: Ms,
});
export type WindowStats = z.infer<typeof WindowStats>;

export const SignalWindows = z.object({ '1m': WindowStats, '5m': WindowStats, '15m': WindowStats });
export type SignalWindows = z.infer<typeof SignalWindows>;

export const SignalPoint = z.object({
  ts: z.number().describe('bucket start, epoch ms'),
  requests: z.number(),
  errors: z.number(),
  p50: Ms,
  p95: Ms,
  p99: Ms,
});
export type SignalPoint = z.infer<typeof SignalPoint>;

export const ServiceStatus = z.enum(['ok', 'warning', 'critical', 'idle']);
export type ServiceStatus = z.infer<typeof ServiceStatus>;

/** ok / warning (1 m error rate >= 1 %) / critical (>= 5 %) / idle (no request in 5 minutes). */
export function serviceStatus(w1: WindowStats, w5: WindowStats): ServiceStatus {
  if (w5.requests === 0) return 'idle';
  if (w1.errorRate >= 0.05) return 'critical';
  if (w1.errorRate >= 0.01) return 'warning';
  return 'ok';
}

export const ServiceSummary = z.object({
  name: z.string(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  status: ServiceStatus,
  /** Over the last minute. */
  rps: z.number(),
  errorRate: z.number(),
  p95: Ms,
  /** Requests per second over the last 15 minutes, one point a minute (for sparklines). */
  spark: z.array(z.number()),
  hosts: z.array(z.string()).describe('organization host ids matched from host.name / host.id'),
});
export type ServiceSummary = z.infer<typeof ServiceSummary>;

export const SignalsTier = z.enum(['1s', '1m', '5m']);
export type SignalsTier = z.infer<typeof SignalsTier>;

export const SIGNAL_TIERS: Record<SignalsTier, { resolutionMs: number; retentionMs: number }> = {
  '1s': { resolutionMs: 1_000, retentionMs: APM_LIMITS.secondsKept * 1000 },
  '1m': { resolutionMs: 60_000, retentionMs: 7 * 24 * 3600_000 },
  '5m': { resolutionMs: 300_000, retentionMs: 30 * 24 * 3600_000 },
};

/**
 * The tier for a range: the coarsest tier whose resolution still fits the bucket width wanted
 * (fewer rows to merge), among those whose retention covers `from`.
 */
export function planSignals(from: number, to: number, now: number, points: number): { tier: SignalsTier; stepMs: number } {
  const wanted = (to - from) / Math.max(1, points - 1);
  const covering = (['1s', '1m', '5m'] as const).filter((t) => from >= now - SIGNAL_TIERS[t].retentionMs);
  const options = covering.length ? covering : (['5m'] as const);
  const fit = [...options].reverse().find((t) => SIGNAL_TIERS[t].resolutionMs <= wanted) ?? options[0]!;
  const res = SIGNAL_TIERS[fit].resolutionMs;
  return { tier: fit, stepMs: Math.max(1, Math.ceil(wanted / res)) * res };
}

export const SignalsResponse = z.object({
  service: z.string(),
  route: z.string().nullable(),
  from: z.number(),
  to: z.number(),
  tier: SignalsTier,
  stepMs: z.number(),
  points: z.array(SignalPoint),
  /** The slowest stored spans of the range (docs/apm.md, "Exemplars"): click-through to their traces. */
  exemplars: z.array(Exemplar),
});
export type SignalsResponse = z.infer<typeof SignalsResponse>;

export const RouteRow = WindowStats.extend({ route: z.string() });
export type RouteRow = z.infer<typeof RouteRow>;

export const RoutesResponse = z.object({
  service: z.string(),
  from: z.number(),
  to: z.number(),
  tier: SignalsTier,
  routes: z.array(RouteRow),
});
export type RoutesResponse = z.infer<typeof RoutesResponse>;

export const SERVICE_LIVE_PATH = (service: string) => `/api/v1/services/${encodeURIComponent(service)}/live`;

/** One second of a service, with its routes: what the live stream pushes. */
export interface LiveSecond extends SignalPoint {
  routes: ({ route: string } & Omit<SignalPoint, 'ts'>)[];
}

export type ServiceLiveMessage =
  /** First message: the last 60 seconds, the current windows and anomalies (protocol/anomalies.ts). */
  | { type: 'hello'; service: string; seconds: LiveSecond[]; windows: SignalWindows; anomalies: LiveAnomalies; slos?: SloStatus[]; exemplars?: Exemplar[] }
  /**
   * At most once a second while traffic arrives: every second that changed since the last push,
   * with its values so far (a second may be sent again as late spans arrive: replace by `ts`).
   * `exemplars`: the slowest stored spans of the last two minutes (merge by spanId).
   * `slos` (hello and signals, when the service has SLOs): each SLO's live status (docs/slo.md).
   */
  | { type: 'signals'; service: string; seconds: LiveSecond[]; windows: SignalWindows; anomalies: LiveAnomalies; slos?: SloStatus[]; exemplars?: Exemplar[] }
  | { type: 'pong' }
  | { type: 'error'; message: string };
