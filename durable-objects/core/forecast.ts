// Linear-trend forecasts (issue #13, docs/anomalies.md): the least-squares line through a signal's
// recent points, and whether and when it crosses a threshold within a horizon. Pure: hosts' metrics
// (disk used % reaching 100 within 4 h, free bytes reaching 0) and services' signals (P95 over
// 200 ms within 30 s) alike; the caller picks the points (the window) and the clock.

export type Comparator = '>' | '>=' | '<' | '<=';
/** [epoch ms, value]; null values (no requests that second) are skipped. */
export type TrendPoint = readonly [number, number | null];

export interface LinearFit {
  /** Value change per millisecond. */
  slope: number;
  /** The line's value at tRef (the points' mean time: keeps epoch-ms sums well conditioned). */
  intercept: number;
  tRef: number;
  n: number;
  /** Coefficient of determination (1 = a perfect line; 1 also for a flat, constant series). */
  r2: number;
}

/** Least squares through the points; null with fewer than two points at distinct times. */
export function linearFit(points: readonly TrendPoint[]): LinearFit | null {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [t, v] of points)
    if (v !== null && Number.isFinite(v) && Number.isFinite(t)) {
      xs.push(t);
      ys.push(v);
    }
  const n = xs.length;
  if (n < 2) return null;
  const tRef = xs.reduce((a, b) => a + b, 0) / n;
  const yMean = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - tRef;
    const dy = ys[i]! - yMean;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: yMean, tRef, n, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

export const trendAt = (f: LinearFit, t: number) => f.intercept + f.slope * (t - f.tRef);

const past = (v: number, threshold: number, c: Comparator) => (c === '>' ? v > threshold : c === '>=' ? v >= threshold : c === '<' ? v < threshold : v <= threshold);

export interface ForecastOptions {
  /** The forecast is made at this time; default: the newest point's. */
  now?: number;
  /** Only points in (now - windowMs, now] are fitted; default: all. */
  windowMs?: number;
  /** Fewer usable points than this: no forecast (default 3). */
  minPoints?: number;
}

export interface Forecast {
  fit: LinearFit | null;
  /** The trend's value at `now`. */
  value: number | null;
  /** When the trend crosses the threshold (epoch ms), if it is heading there; now if it is past it already. */
  crossesAt: number | null;
  /** crossesAt - now, or null when the trend never crosses (flat or heading away). */
  etaMs: number | null;
  /** The trend is past the threshold now or crosses it within the horizon. */
  firing: boolean;
}

export function forecast(points: readonly TrendPoint[], threshold: number, horizonMs: number, comparator: Comparator, opts: ForecastOptions = {}): Forecast {
  const usable = points.filter((p) => p[1] !== null);
  const now = opts.now ?? (usable.length ? Math.max(...usable.map((p) => p[0])) : 0);
  const inWindow = opts.windowMs === undefined ? usable : usable.filter((p) => p[0] > now - opts.windowMs! && p[0] <= now);
  const fit = inWindow.length >= (opts.minPoints ?? 3) ? linearFit(inWindow) : null;
  if (!fit) return { fit, value: null, crossesAt: null, etaMs: null, firing: false };
  const value = trendAt(fit, now);
  if (past(value, threshold, comparator)) return { fit, value, crossesAt: now, etaMs: 0, firing: true };
  // Heading towards the threshold? ('>' needs a rising line, '<' a falling one.)
  const rising = comparator === '>' || comparator === '>=';
  if (fit.slope === 0 || fit.slope > 0 !== rising) return { fit, value, crossesAt: null, etaMs: null, firing: false };
  const crossesAt = fit.tRef + (threshold - fit.intercept) / fit.slope;
  const etaMs = Math.max(0, crossesAt - now);
  return { fit, value, crossesAt, etaMs, firing: etaMs <= horizonMs };
}

/**
 * The seam for rules (docs/anomalies.md): a forecast rule of `comparator threshold within
 * horizonMs` over the points of its window fires when the trend gets there within the horizon;
 * etaMs is how long until it does (0: it is past it already; null: it is not heading there).
 */
export function forecastCondition(
  points: readonly TrendPoint[],
  threshold: number,
  horizonMs: number,
  comparator: Comparator,
  opts: ForecastOptions = {},
): { etaMs: number | null; firing: boolean } {
  const f = forecast(points, threshold, horizonMs, comparator, opts);
  return { etaMs: f.etaMs, firing: f.firing };
}

/**
 * The value a forecast rule compares: the trend's extreme over [now, now + horizon] in the
 * comparator's direction, so it fires when the line is past the threshold now or gets there
 * within the horizon. Null without a fit (fewer than 3 points).
 */
export function projected(points: readonly TrendPoint[], now: number, horizonMs: number, comparator: Comparator | '=='): number | null {
  const usable = points.filter((p) => p[1] !== null);
  const fit = usable.length >= 3 ? linearFit(usable) : null;
  if (!fit) return null;
  const a = trendAt(fit, now);
  const b = trendAt(fit, now + horizonMs);
  return comparator === '<' || comparator === '<=' ? Math.min(a, b) : Math.max(a, b);
}
