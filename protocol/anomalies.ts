// Anomalies of a service's golden signals (issue #13, docs/anomalies.md): the z-scores the service
// object computes each second, the periods it keeps for history, and the anomalies route's answer.
// Shared by the object, the worker and the site (types only there).
import { z } from 'zod';

/** The golden signals scored: latency percentiles, error rate, request rate. */
export const ANOMALY_SIGNALS = ['p50', 'p95', 'p99', 'errorRate', 'rps'] as const;
export const AnomalySignal = z.enum(ANOMALY_SIGNALS);
export type AnomalySignal = z.infer<typeof AnomalySignal>;

/** The windows scored, as in SignalWindows. */
export const ANOMALY_WINDOWS = ['1m', '5m', '15m'] as const;
export const AnomalyWindow = z.enum(ANOMALY_WINDOWS);
export type AnomalyWindow = z.infer<typeof AnomalyWindow>;

/** |z| at or above this is an anomaly. */
export const ANOMALY_Z = 3;

export const AnomalyScore = z.object({
  signal: AnomalySignal,
  window: AnomalyWindow,
  /** The window's value (ms, a 0..1 ratio, or requests/s); null without enough requests. */
  value: z.number().nullable(),
  /** The baseline's median of per-minute values; null before warm-up ends. */
  baseline: z.number().nullable(),
  /** The spread the z-score divides by (robust sigma with its floors). */
  sigma: z.number().nullable(),
  /** (value - baseline) / sigma; null in warm-up or without a value. */
  z: z.number().nullable(),
  flagged: z.boolean(),
});
export type AnomalyScore = z.infer<typeof AnomalyScore>;

export const AnomalySnapshot = z.object({
  /** When the scores were computed (epoch ms, a whole second). */
  ts: z.number(),
  /** False during warm-up: no score is flagged then. */
  ready: z.boolean(),
  /** Per-minute values the baseline holds (warm-up ends at ANOMALY_DEFAULTS.warmupMinutes). */
  baselineMinutes: z.number(),
  scores: z.array(AnomalyScore),
});
export type AnomalySnapshot = z.infer<typeof AnomalySnapshot>;

export const AnomalyPeriod = z.object({
  id: z.number().int(),
  signal: AnomalySignal,
  window: AnomalyWindow,
  /** First flagged second, epoch ms. */
  from: z.number(),
  /** Last flagged second so far; the period is still open while `open`. */
  to: z.number(),
  open: z.boolean(),
  /** The largest |z| seen, with its sign: positive = above the baseline. */
  peakZ: z.number(),
});
export type AnomalyPeriod = z.infer<typeof AnomalyPeriod>;

export const AnomaliesResponse = z.object({
  service: z.string(),
  from: z.number(),
  to: z.number(),
  /** Periods overlapping [from, to), oldest first. */
  periods: z.array(AnomalyPeriod),
  /** The latest scores (null before the service's first evaluation). */
  current: AnomalySnapshot.nullable(),
});
export type AnomaliesResponse = z.infer<typeof AnomaliesResponse>;

/** What each live message of a service carries about anomalies. */
export interface LiveAnomalies {
  current: AnomalySnapshot | null;
  /** Periods open now or closed within the last 15 minutes (upsert by id). */
  periods: AnomalyPeriod[];
}
