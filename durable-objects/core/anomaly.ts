// Anomaly z-scores of a service's golden signals (issue #13; method and reasons: docs/anomalies.md).
// Pure: no runtime, no clock. The service object records one value per signal for every complete
// minute (the baseline, a short ring that fits one SQLite row) and scores the 1 m, 5 m and 15 m
// windows against the median and MAD of those values, with floors under the spread so a steady,
// noisy or quantised signal never flags.
import { ANOMALY_SIGNALS, ANOMALY_WINDOWS, ANOMALY_Z, type AnomalyScore, type AnomalySignal, type AnomalySnapshot, type AnomalyWindow } from '../../protocol/anomalies.ts';
import type { WindowStats } from '../../protocol/apm.ts';

export interface AnomalyOptions {
  /** Per-minute values kept per signal: the baseline spans this many minutes. */
  baselineMinutes: number;
  /** A signal is scored only once its baseline holds this many values. */
  warmupMinutes: number;
  /** |z| at or above this is flagged. */
  threshold: number;
  /** The spread is at least this fraction of the baseline's level (|z| >= 3 needs a 30 % change). */
  relativeFloor: number;
  /**
   * Latency and error rate are scored (and recorded) only from windows with this many requests,
   * the request rate only when the window holds or its baseline expects this many: below it the
   * counting noise is too skewed for a normal z-score (docs/anomalies.md).
   */
  minRequests: number;
  /**
   * A window's percentile is scored only with this many requests above it (p99: 500 requests):
   * the top few order statistics are too skewed for a z-score. Minutes are recorded without it.
   */
  minTail: number;
  /** The spread of a latency signal is at least this (ms). */
  latencyFloorMs: number;
  /** The spread of the error rate is at least this (a ratio: 0.01 = one percentage point). */
  errorRateFloor: number;
}

export const ANOMALY_DEFAULTS: AnomalyOptions = {
  baselineMinutes: 60,
  warmupMinutes: 20,
  threshold: ANOMALY_Z,
  relativeFloor: 0.1,
  minRequests: 100,
  minTail: 5,
  latencyFloorMs: 1,
  errorRateFloor: 0.01,
};

export const WINDOW_SEC: Record<AnomalyWindow, number> = { '1m': 60, '5m': 300, '15m': 900 };
const MINUTE = 60_000;
const QUANTILE: Partial<Record<AnomalySignal, number>> = { p50: 0.5, p95: 0.95, p99: 0.99 };

/** The baseline: the newest per-minute values of each signal, oldest first (null: too few requests). */
export interface Baseline {
  /** Every minute starting before this (epoch ms) is recorded; null before the first. */
  until: number | null;
  values: Record<AnomalySignal, (number | null)[]>;
}

export function emptyBaseline(): Baseline {
  return { until: null, values: Object.fromEntries(ANOMALY_SIGNALS.map((s) => [s, []])) as unknown as Baseline['values'] };
}

/** A signal's value in a window's stats, or null when too few requests make it meaningless. */
export function signalValue(signal: AnomalySignal, w: WindowStats, opts: AnomalyOptions = ANOMALY_DEFAULTS): number | null {
  if (signal === 'rps') return w.rps;
  if (w.requests < opts.minRequests) return null;
  return signal === 'errorRate' ? w.errorRate : w[signal];
}

/**
 * Records one complete minute (its stats over 60 s) starting at `minuteStart`. Minutes must come
 * in order; an older or repeated one is ignored. The ring keeps the newest baselineMinutes.
 */
export function recordMinute(b: Baseline, minuteStart: number, stats: WindowStats, opts: AnomalyOptions = ANOMALY_DEFAULTS): Baseline {
  if (b.until !== null && minuteStart < b.until) return b;
  for (const s of ANOMALY_SIGNALS) {
    const ring = b.values[s];
    ring.push(signalValue(s, stats, opts));
    if (ring.length > opts.baselineMinutes) ring.splice(0, ring.length - opts.baselineMinutes);
  }
  b.until = minuteStart + MINUTE;
  return b;
}

/** The minutes to record at `now`: complete (and `graceMs` old) ones from b.until on, the newest baselineMinutes. */
export function minutesDue(b: Baseline, firstMinute: number, now: number, graceMs: number, opts: AnomalyOptions = ANOMALY_DEFAULTS): number[] {
  const last = Math.floor((now - graceMs) / MINUTE) * MINUTE - MINUTE; // newest complete minute's start
  let start = b.until ?? Math.floor(firstMinute / MINUTE) * MINUTE;
  start = Math.max(start, last - (opts.baselineMinutes - 1) * MINUTE);
  const out: number[] = [];
  for (let m = start; m <= last; m += MINUTE) out.push(m);
  return out;
}

export interface RobustStats {
  median: number;
  /** 1.4826 x the median absolute deviation: the standard deviation for normal data. */
  sigma: number;
  n: number;
}

/** Median and MAD-based sigma of the non-null values (null without any). */
export function robustStats(values: readonly (number | null)[]): RobustStats | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const median = medianOf(xs);
  const dev = xs.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  return { median, sigma: 1.4826 * medianOf(dev), n: xs.length };
}

function medianOf(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/**
 * The spread a window's value is divided by: the baseline's robust sigma and a floor added in
 * quadrature. The floor is the largest of a fraction of the baseline's level, an absolute floor,
 * and the counting noise of the window itself (Poisson for the request rate, binomial for the
 * error rate): quiet, steady or quantised signals (a MAD of 0) cannot turn a tiny change into a
 * large z, and where counting noise is what the baseline's spread measures, the two add up
 * (sqrt 2 wider) so its skewed tails stay under the threshold.
 */
export function spread(signal: AnomalySignal, base: RobustStats, w: WindowStats, windowSec: number, opts: AnomalyOptions = ANOMALY_DEFAULTS): number {
  let floor = opts.relativeFloor * Math.abs(base.median);
  if (signal === 'rps') {
    const rate = Math.max(base.median, 1 / windowSec);
    floor = Math.max(floor, Math.sqrt(rate / windowSec));
  } else if (signal === 'errorRate') {
    const n = Math.max(1, w.requests);
    const p = Math.min(1, Math.max(base.median, 1 / n));
    floor = Math.max(floor, opts.errorRateFloor, Math.sqrt((p * (1 - p)) / n));
  } else floor = Math.max(floor, opts.latencyFloorMs);
  return Math.hypot(base.sigma, floor);
}

/** Scores every signal in every window against the baseline. */
export function scoreWindows(b: Baseline, windows: Record<AnomalyWindow, WindowStats>, ts: number, opts: AnomalyOptions = ANOMALY_DEFAULTS): AnomalySnapshot {
  const scores: AnomalyScore[] = [];
  let ready = false;
  for (const signal of ANOMALY_SIGNALS) {
    const base = robustStats(b.values[signal]);
    const warm = base !== null && base.n >= opts.warmupMinutes;
    if (warm) ready = true;
    for (const window of ANOMALY_WINDOWS) {
      const w = windows[window];
      let value = signalValue(signal, w, opts);
      if (signal in QUANTILE && w.requests * (1 - QUANTILE[signal]!) < opts.minTail) value = null;
      // Too few requests, seen or expected, to score the rate (a minute's value is still recorded).
      if (signal === 'rps' && warm && Math.max(w.requests, base.median * WINDOW_SEC[window]) < opts.minRequests) value = null;
      if (!warm || value === null) {
        scores.push({ signal, window, value, baseline: warm ? base.median : null, sigma: null, z: null, flagged: false });
        continue;
      }
      const sigma = spread(signal, base, w, WINDOW_SEC[window], opts);
      const z = (value - base.median) / sigma;
      scores.push({ signal, window, value, baseline: base.median, sigma, z, flagged: Math.abs(z) >= opts.threshold });
    }
  }
  return { ts, ready, baselineMinutes: b.values.rps.length, scores };
}

// ---- periods: consecutive flagged evaluations of one signal and window ---------------------------

export interface PeriodState {
  signal: AnomalySignal;
  window: AnomalyWindow;
  from: number;
  /** Last flagged evaluation. */
  to: number;
  /** Largest |z| so far, signed. */
  peakZ: number;
  /** Assigned by the store. */
  id?: number;
}

/**
 * Advances the open periods by one snapshot: a flagged score opens a period (or extends the open
 * one); a period closes once its score has not been flagged for more than `gapMs`, so a flag that
 * flickers around the threshold makes one period, not dozens.
 */
export function trackPeriods(open: readonly PeriodState[], snap: AnomalySnapshot, gapMs: number): { open: PeriodState[]; started: PeriodState[]; extended: PeriodState[]; ended: PeriodState[] } {
  const byKey = new Map(open.map((p) => [`${p.signal}/${p.window}`, p]));
  const started: PeriodState[] = [];
  const extended: PeriodState[] = [];
  for (const s of snap.scores) {
    if (!s.flagged || s.z === null) continue;
    const key = `${s.signal}/${s.window}`;
    const p = byKey.get(key);
    if (p) {
      p.to = Math.max(p.to, snap.ts);
      if (Math.abs(s.z) > Math.abs(p.peakZ)) p.peakZ = s.z;
      extended.push(p);
    } else {
      const n: PeriodState = { signal: s.signal, window: s.window, from: snap.ts, to: snap.ts, peakZ: s.z };
      byKey.set(key, n);
      started.push(n);
    }
  }
  const ended: PeriodState[] = [];
  const still: PeriodState[] = [];
  for (const p of byKey.values()) (snap.ts - p.to > gapMs ? ended : still).push(p);
  return { open: still, started, extended, ended };
}

// ---- the seam for rules (docs/anomalies.md) ------------------------------------------------------

export type AnomalyDirection = 'both' | 'up' | 'down';

/**
 * A rule condition on one signal and window of a snapshot: `value` is the z-score (null in
 * warm-up or without enough requests), `firing` whether it is at or past the threshold in the
 * direction asked ('up': only above the baseline, e.g. latency; 'down': only below, e.g. traffic).
 */
export function anomalyCondition(
  snap: AnomalySnapshot | null,
  signal: AnomalySignal,
  window: AnomalyWindow,
  opts: { threshold?: number; direction?: AnomalyDirection } = {},
): { value: number | null; firing: boolean } {
  const { threshold = ANOMALY_Z, direction = 'both' } = opts;
  const z = snap?.scores.find((s) => s.signal === signal && s.window === window)?.z ?? null;
  if (z === null) return { value: null, firing: false };
  const firing = direction === 'up' ? z >= threshold : direction === 'down' ? z <= -threshold : Math.abs(z) >= threshold;
  return { value: z, firing };
}
