// Linear-trend forecasts with fake time and seeded noise: host disks and service latency.
import { describe, expect, it } from 'vitest';
import { forecast, forecastCondition, linearFit, projected, type Comparator, type TrendPoint } from './forecast.ts';
import { normal, seededRandom } from './seeded.ts';

const NOW = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;
const H = 3600_000;
const GB = 1e9;

/** n points ending at NOW, `stepMs` apart, value f(t) with t in ms before NOW (negative), plus noise. */
function series(n: number, stepMs: number, f: (dt: number) => number, noise: number, seed: number): TrendPoint[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const dt = -(n - 1 - i) * stepMs;
    return [NOW + dt, f(dt) + noise * normal(r)] as const;
  });
}

describe('linear fit', () => {
  it('recovers slope and level of a noiseless line at epoch-ms times; null without two distinct times', () => {
    const f = linearFit(series(10, 1000, (dt) => 5 + 0.002 * dt, 0, 1))!;
    expect(f.slope).toBeCloseTo(0.002, 12);
    expect(f.intercept + f.slope * (NOW - f.tRef)).toBeCloseTo(5, 6);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(linearFit([[NOW, 1]])).toBeNull();
    expect(linearFit([[NOW, 1], [NOW, 2]])).toBeNull();
    expect(linearFit([[NOW, 1], [NOW + 1, null], [NOW + 2, 3]])!.slope).toBeCloseTo(1, 12);
  });
});

interface Case {
  what: string;
  points: TrendPoint[];
  threshold: number;
  horizonMs: number;
  comparator: Comparator;
  windowMs?: number;
  firing: boolean;
  /** Expected eta (ms) and tolerance, or null. */
  eta: [number, number] | null;
}

const cases: Case[] = [
  // Hosts: disk used % over the last hour, one sample a minute.
  { what: 'disk used % +6 %/h at 90 %: full in ~1 h 40 m, within 4 h', points: series(60, MIN, (dt) => 90 + (6 * dt) / H, 0.2, 1), threshold: 100, horizonMs: 4 * H, comparator: '>=', firing: true, eta: [(10 / 6) * H, 10 * MIN] },
  { what: 'disk used % +1 %/h at 80 %: full in ~20 h, not within 4 h', points: series(60, MIN, (dt) => 80 + dt / H, 0.2, 2), threshold: 100, horizonMs: 4 * H, comparator: '>=', firing: false, eta: [20 * H, 2 * H] },
  { what: 'disk free bytes 30 GB, -10 GB/h: empty in ~3 h', points: series(60, MIN, (dt) => 30 * GB - (10 * GB * dt) / H, 0.05 * GB, 3), threshold: 0, horizonMs: 4 * H, comparator: '<=', firing: true, eta: [3 * H, 10 * MIN] },
  { what: 'disk free bytes 30 GB and steady: never', points: series(60, MIN, () => 30 * GB, 0.05 * GB, 4), threshold: 0, horizonMs: 4 * H, comparator: '<=', firing: false, eta: null },
  { what: 'disk used % falling (cleanup): never', points: series(60, MIN, (dt) => 90 - (6 * dt) / H, 0.2, 5), threshold: 100, horizonMs: 4 * H, comparator: '>', firing: false, eta: null },
  // Services: P95 per second over the last 30 s.
  {
    what: 'P95 climbing 2.5 ms/s at 172 ms: over 200 ms in ~11 s, within 30 s (seconds without requests skipped)',
    points: series(30, 1000, (dt) => 172.5 + 2.5 * (dt / 1000), 2, 6).map((p, i) => (i % 7 === 3 ? [p[0], null] : p)),
    threshold: 200,
    horizonMs: 30_000,
    comparator: '>',
    firing: true,
    eta: [11_000, 3_000],
  },
  { what: 'P95 steady and noisy at 150 ms: not within 30 s', points: series(30, 1000, () => 150, 10, 7), threshold: 200, horizonMs: 30_000, comparator: '>', firing: false, eta: null },
  { what: 'P95 at 250 ms already: now (eta 0)', points: series(30, 1000, () => 250, 3, 8), threshold: 200, horizonMs: 30_000, comparator: '>', firing: true, eta: [0, 0] },
  {
    what: 'only the window is fitted: an hour flat at 100 ms, then 30 s climbing 2 ms/s to 160 ms',
    points: [...series(60, MIN, () => 100, 1, 9).map(([t, v]) => [t - 31_000, v] as const), ...series(30, 1000, (dt) => 160 + 2 * (dt / 1000), 1, 10)],
    threshold: 200,
    horizonMs: 30_000,
    comparator: '>',
    windowMs: 30_000,
    firing: true,
    eta: [20_000, 3_000],
  },
];

describe('forecast: does the trend cross the threshold within the horizon, and when', () => {
  it.each(cases)('$what', ({ points, threshold, horizonMs, comparator, windowMs, firing, eta }) => {
    const f = forecast(points, threshold, horizonMs, comparator, windowMs === undefined ? {} : { windowMs });
    if (eta === null && f.etaMs !== null) {
      // A flat noisy line may lean towards the threshold: then only beyond the horizon.
      expect(f.etaMs).toBeGreaterThan(horizonMs);
    } else if (eta === null) expect(f.etaMs).toBeNull();
    else {
      expect(f.etaMs).not.toBeNull();
      expect(Math.abs(f.etaMs! - eta[0])).toBeLessThanOrEqual(eta[1]);
      expect(f.crossesAt).toBe(NOW + f.etaMs!);
    }
    expect(f.firing).toBe(firing);
    expect(forecastCondition(points, threshold, horizonMs, comparator, windowMs === undefined ? {} : { windowMs })).toEqual({ etaMs: f.etaMs, firing: f.firing });
  });

  it('without the window the flat hour hides the climb (the window matters)', () => {
    const c = cases.at(-1)!;
    expect(forecast(c.points, c.threshold, c.horizonMs, c.comparator).firing).toBe(false);
  });

  it('gives no forecast from fewer than minPoints usable points, or at a `now` past them all with an empty window', () => {
    const pts: TrendPoint[] = [[NOW - 2000, 1], [NOW - 1000, null], [NOW, 3]];
    expect(forecast(pts, 5, 10_000, '>')).toMatchObject({ fit: null, etaMs: null, firing: false });
    expect(forecast(pts, 5, 10_000, '>', { minPoints: 2 })).toMatchObject({ etaMs: 2000, firing: true });
    expect(forecast(pts, 5, 10_000, '>', { minPoints: 2, now: NOW + H, windowMs: 60_000 })).toMatchObject({ fit: null, firing: false });
    expect(forecast([], 5, 10_000, '>')).toMatchObject({ fit: null, firing: false });
  });

  it('strict and non-strict comparators differ only at the threshold itself', () => {
    const flat: TrendPoint[] = [[NOW - 2000, 200], [NOW - 1000, 200], [NOW, 200]];
    expect(forecastCondition(flat, 200, 30_000, '>=')).toEqual({ etaMs: 0, firing: true });
    expect(forecastCondition(flat, 200, 30_000, '>')).toEqual({ etaMs: null, firing: false });
    expect(forecastCondition(flat, 200, 30_000, '<=')).toEqual({ etaMs: 0, firing: true });
    expect(forecastCondition(flat, 200, 30_000, '<')).toEqual({ etaMs: null, firing: false });
  });
});

describe('projected: the value a forecast rule compares', () => {
  // 1 per second rising from 10 at t=0 to 20 at t=10 s.
  const line: TrendPoint[] = Array.from({ length: 11 }, (_, i) => [i * 1000, 10 + i] as const);
  it.each([
    ['>', 20_000, 40], // the far end of the horizon, for a rising line and an upper threshold
    ['>=', 0, 20],
    ['<', 20_000, 20], // the near end (now), for a lower threshold
    ['<=', 5_000, 20],
  ] as const)('%s over %i ms', (comparator, horizon, want) => {
    expect(projected(line, 10_000, horizon, comparator)).toBeCloseTo(want, 9);
  });
  it('is null with fewer than 3 points or only nulls', () => {
    expect(projected(line.slice(0, 2), 1000, 1000, '>')).toBeNull();
    expect(projected([[0, null], [1, null], [2, null]], 2, 1000, '>')).toBeNull();
  });
  it('a falling line against an upper threshold: the current value, which is the larger', () => {
    const falling: TrendPoint[] = line.map(([t, v]) => [t, 40 - (v as number)]);
    expect(projected(falling, 10_000, 10_000, '>')).toBeCloseTo(20, 9);
  });
});
