// Pure logic of the service page: which signals query a window needs, merging live seconds and
// refreshed buckets into the series held, and turning bucket counts into per-second rates.
import { emptyPoint, PER_SECOND_MS, type SignalPoint } from './apm.ts';

const SEC = 1000;
/** Short windows start this much later than the per-second tier's edge: the server's clock may
 * run ahead of the browser's, and a `from` past the edge falls to the 1-minute rollups. */
export const SKEW_PAD_MS = 10_000;
/** Buckets wanted for windows longer than the per-second tier (as on the host page). */
export const POINTS = 600;

export interface SignalsQuery {
  from: number;
  to: number;
  points: number;
  /** One bucket per second: live seconds are upserted as they are. */
  perSecond: boolean;
}

/**
 * The signals request for a window. Windows within the per-second tier ask for exactly one bucket
 * a second (aligned, so the server's step is 1 s and not 2 s); longer ones ask for POINTS buckets.
 */
export function signalsQuery(from: number, to: number, live: boolean, now: number): SignalsQuery {
  // A live window ends now (it was resolved a moment ago, when the view was created).
  if (live) [from, to] = [now - (to - from), now];
  const edge = now - PER_SECOND_MS + SKEW_PAD_MS;
  if (to - from <= PER_SECOND_MS && from >= edge - SKEW_PAD_MS) {
    const f = Math.ceil(Math.max(from, edge) / SEC) * SEC;
    const t = Math.ceil((live ? now + 2 * SEC : to) / SEC) * SEC;
    if (t > f) return { from: f, to: t, points: (t - f) / SEC + 1, perSecond: true };
  }
  return { from: Math.floor(from), to: Math.ceil(live ? now : to), points: POINTS, perSecond: false };
}

/**
 * A request for the buckets of width `stepMs` from the one holding `since` up to the one holding
 * `now`: points = buckets + 1 makes the server pick this same step (and a tier of it), so the
 * answer replaces buckets one for one. Used for the gap after a reconnect and, on windows longer
 * than the per-second tier, to refresh the newest buckets when live traffic arrives.
 */
export function tailQuery(since: number, stepMs: number, now: number, windowFrom: number): { from: number; to: number; points: number } {
  let from = Math.floor(Math.max(since, windowFrom) / stepMs) * stepMs;
  // The per-second tier holds 15 minutes; an older start would fall to the minute rollups.
  if (stepMs === SEC) from = Math.max(from, Math.ceil((now - PER_SECOND_MS + SKEW_PAD_MS) / SEC) * SEC);
  const buckets = Math.max(1, Math.floor(now / stepMs) - Math.floor(from / stepMs) + 1);
  return { from, to: from + buckets * stepMs, points: buckets + 1 };
}

/**
 * Merges points into a sorted series by `ts`, dropping points before `windowFrom`. A bucket's
 * counts only grow as spans arrive, so of two versions of one bucket the one with more requests
 * is the newer (ties: the incoming one); this makes the order of history answers and live
 * pushes irrelevant.
 */
export function upsertPoints(held: SignalPoint[], incoming: SignalPoint[], windowFrom: number): SignalPoint[] {
  const last = held[held.length - 1]?.ts ?? -Infinity;
  const sorted = [...incoming].sort((a, b) => a.ts - b.ts);
  let out: SignalPoint[];
  if (sorted.every((p, i) => p.ts > last && (i === 0 || p.ts > sorted[i - 1]!.ts))) out = [...held, ...sorted];
  else {
    const byTs = new Map(held.map((p) => [p.ts, p]));
    for (const p of sorted) {
      const cur = byTs.get(p.ts);
      if (!cur || p.requests >= cur.requests) byTs.set(p.ts, p);
    }
    out = [...byTs.values()].sort((a, b) => a.ts - b.ts);
  }
  let drop = 0;
  while (drop < out.length && out[drop]!.ts < windowFrom) drop++;
  return drop ? out.slice(drop) : out;
}

/**
 * Fills the buckets missing between the window's first bucket and `until` with empty ones: the
 * rollup tiers return only buckets with requests, and live pushes carry only seconds with data.
 * Nothing is invented past `until` (spans of the last seconds may still be on their way).
 */
export function densify(points: SignalPoint[], from: number, until: number, stepMs: number): SignalPoint[] {
  const out: SignalPoint[] = [];
  let i = 0;
  for (let ts = Math.ceil(from / stepMs) * stepMs; ts <= until; ts += stepMs) {
    while (i < points.length && points[i]!.ts < ts) out.push(points[i++]!);
    if (i < points.length && points[i]!.ts === ts) out.push(points[i++]!);
    else out.push(emptyPoint(ts));
  }
  while (i < points.length) out.push(points[i++]!);
  return out;
}

/** Spans reach the service this long after they end at the latest (the SDKs export every 5 s);
 * a bucket older than that with nothing in it had no requests. */
export const SETTLE_MS = 10_000;

/** The newest bucket start whose bucket ended SETTLE_MS ago or earlier. */
export const settledUntil = (now: number, stepMs: number) => Math.floor((now - SETTLE_MS) / stepMs) * stepMs - stepMs;

/** Seconds a bucket covers so far: its width, or less for the bucket that holds `now`. */
export function bucketSeconds(ts: number, stepMs: number, now: number): number {
  if (ts + stepMs <= now) return stepMs / SEC;
  return Math.min(stepMs, Math.max(SEC, now - ts)) / SEC;
}

export type XY = [number, number | null];
export interface ChartSeries {
  p50: XY[];
  p95: XY[];
  p99: XY[];
  rps: XY[];
  errorsPerSec: XY[];
  /** Percent of requests; null (a gap) for buckets without requests. */
  errorPct: XY[];
}

/** The page's chart lines from bucket counts. */
export function chartSeries(points: SignalPoint[], stepMs: number, now: number): ChartSeries {
  const s: ChartSeries = { p50: [], p95: [], p99: [], rps: [], errorsPerSec: [], errorPct: [] };
  for (const p of points) {
    const secs = bucketSeconds(p.ts, stepMs, now);
    s.p50.push([p.ts, p.p50]);
    s.p95.push([p.ts, p.p95]);
    s.p99.push([p.ts, p.p99]);
    s.rps.push([p.ts, p.requests / secs]);
    s.errorsPerSec.push([p.ts, p.errors / secs]);
    s.errorPct.push([p.ts, p.requests ? (100 * p.errors) / p.requests : null]);
  }
  return s;
}

/** GET /api/v1/services `spark` (one value a minute, the newest ending at `at`) as chart points. */
export function sparkPoints(spark: number[], at: number): [number, number][] {
  return spark.map((v, i) => [at - (spark.length - 1 - i) * 60_000, v]);
}

/**
 * A sparkline kept current from live windows: the newest point takes the last minute's rps;
 * once a minute has passed since it began, a new point starts and the oldest leaves.
 */
export function advanceSpark(points: [number, number][], ts: number, rps: number, keep = 15): [number, number][] {
  const last = points[points.length - 1];
  if (last && ts < last[0]) return points;
  if (last && ts - last[0] < 60_000) return [...points.slice(0, -1), [last[0], rps]];
  return [...points, [ts, rps] as [number, number]].slice(-keep);
}
