// Anomaly z-scores on simulated services with fake time and a seeded PRNG: per-second traffic
// goes through the real SignalWindow and latency sketches, minutes are recorded and windows
// scored exactly as the service object does (durable-objects/service/anomalies.ts).
import { describe, expect, it } from 'vitest';
import type { AnomalySnapshot } from '../../protocol/anomalies.ts';
import type { WindowStats } from '../../protocol/apm.ts';
import {
  ANOMALY_DEFAULTS,
  anomalyCondition,
  emptyBaseline,
  minutesDue,
  recordMinute,
  robustStats,
  scoreWindows,
  trackPeriods,
  type AnomalyOptions,
  type PeriodState,
} from './anomaly.ts';
import { normal, seededRandom } from './seeded.ts';
import { SignalWindow } from './signals.ts';
import { LatencySketch } from './sketch.ts';

const T0 = Date.UTC(2026, 0, 1, 12); // a whole minute
const MIN = 60_000;
const GRACE = 10_000;

function poisson(r: () => number, lambda: number): number {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(r)));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

interface Traffic {
  /** Mean requests per second at second t (from the start). */
  rps: (t: number) => number;
  /** Median latency (ms) at t; latencies are lognormal around it. */
  latency: (t: number) => number;
  errorP: (t: number) => number;
}

const steady: Traffic = { rps: () => 20, latency: () => 25, errorP: () => 0.01 };

/**
 * Runs `seconds` of traffic; records every minute as it completes and scores the windows every
 * `scoreEvery` seconds (the object scores every second; merging 15 minutes of sketches is what
 * costs here, and consecutive windows overlap by all but a few seconds). Returns the snapshots
 * and the periods.
 */
function simulate(traffic: Traffic, seconds: number, seed: number, scoreEvery = 1, opts: AnomalyOptions = ANOMALY_DEFAULTS) {
  const r = seededRandom(seed);
  const win = new SignalWindow({ seconds: 900 });
  const base = emptyBaseline();
  const snaps: AnomalySnapshot[] = [];
  let open: PeriodState[] = [];
  const periods: PeriodState[] = [];
  for (let t = 0; t < seconds; t++) {
    const sec = T0 / 1000 + t;
    const n = poisson(r, traffic.rps(t));
    const sk = new LatencySketch();
    let errors = 0;
    const mu = Math.log(traffic.latency(t));
    for (let i = 0; i < n; i++) {
      sk.add(Math.exp(mu + 0.4 * normal(r)));
      if (r() < traffic.errorP(t)) errors++;
    }
    if (n > 0) win.add(sec, 'GET /x', n, errors, sk);
    const now = (sec + 1) * 1000;
    win.prune(sec);
    for (const m of minutesDue(base, T0, now, GRACE, opts)) recordMinute(base, m, win.stats(m / 1000 + 59, 60), opts);
    if (t % scoreEvery) continue;
    const w = { '1m': win.stats(sec, 60), '5m': win.stats(sec, 300), '15m': win.stats(sec, 900) };
    const snap = scoreWindows(base, w, sec * 1000, opts);
    snaps.push(snap);
    const step = trackPeriods(open, snap, 30_000);
    open = step.open;
    periods.push(...step.started);
  }
  return { snaps, periods, base };
}

const flagged = (snaps: AnomalySnapshot[]) => snaps.flatMap((s) => s.scores.filter((x) => x.flagged).map((x) => ({ ts: s.ts, ...x })));

describe('anomaly z-scores', () => {
  it('a seeded steady noisy service raises none over two hours (after warm-up every signal is scored)', () => {
    for (const seed of [1, 2]) {
      const { snaps, periods } = simulate(steady, 2 * 3600, seed, 5);
      expect(flagged(snaps), `seed ${seed}`).toEqual([]);
      expect(periods).toEqual([]);
      // Not vacuous: past warm-up, all 15 scores carry a z, and the z moves with the noise.
      const scored = snaps.filter((s) => s.ts >= T0 + 25 * MIN);
      expect(scored.length).toBeGreaterThanOrEqual(1140); // every 5 s for 95 minutes
      for (const s of scored) expect(s.scores.every((x) => x.z !== null)).toBe(true);
      const zs = scored.flatMap((s) => s.scores.map((x) => Math.abs(x.z!)));
      expect(Math.max(...zs)).toBeGreaterThan(0.5);
      expect(Math.max(...zs)).toBeLessThan(3);
    }
  }, 60_000);

  it('raises none during warm-up, even for a step change', () => {
    const opts = ANOMALY_DEFAULTS;
    const traffic: Traffic = { ...steady, latency: (t) => (t >= 10 * 60 ? 100 : 25) };
    const { snaps } = simulate(traffic, opts.warmupMinutes * 60 + 5, 7, 2); // minute 19 is recorded at 20:10
    expect(flagged(snaps)).toEqual([]);
    expect(snaps.every((s) => !s.ready)).toBe(true);
    expect(snaps.at(-1)!.baselineMinutes).toBe(opts.warmupMinutes - 1);
    expect(snaps.at(-1)!.scores.every((s) => s.z === null)).toBe(true);
  });

  const STEP = 40 * 60; // seconds after the start

  it.each([
    { what: 'latency x3', traffic: { ...steady, latency: (t: number) => (t >= STEP ? 75 : 25) }, signals: ['p50', 'p95', 'p99'], sign: 1 },
    { what: 'errors 1 % -> 10 %', traffic: { ...steady, errorP: (t: number) => (t >= STEP ? 0.1 : 0.01) }, signals: ['errorRate'], sign: 1 },
    { what: 'traffic 20 -> 4 req/s', traffic: { ...steady, rps: (t: number) => (t >= STEP ? 4 : 20) }, signals: ['rps'], sign: -1 },
  ])('a step change ($what) raises one within each window it is scored in, with the sign of the change', ({ traffic, signals, sign }) => {
    const { snaps, periods } = simulate(traffic, STEP + 20 * 60, 11, 3);
    const before = flagged(snaps).filter((f) => f.ts < T0 + STEP * 1000);
    expect(before).toEqual([]);
    for (const signal of signals)
      for (const [window, sec] of [['1m', 60], ['5m', 300], ['15m', 900]] as const) {
        const p = periods.find((x) => x.signal === signal && x.window === window);
        expect(p, `${signal} ${window}`).toBeDefined();
        expect(p!.from - (T0 + STEP * 1000), `${signal} ${window}`).toBeGreaterThanOrEqual(0);
        expect(p!.from - (T0 + STEP * 1000), `${signal} ${window}`).toBeLessThanOrEqual(sec * 1000);
        expect(Math.sign(p!.peakZ)).toBe(sign);
      }
    // Only the signals that changed flag (latency percentiles move together; the rest stay quiet).
    const others = periods.filter((p) => !signals.includes(p.signal));
    expect(others).toEqual([]);
  }, 60_000);

  it('a constant (quantised) latency with a MAD of 0 does not flag a 5 % change; a 50 % one flags', () => {
    const b = emptyBaseline();
    const w = (p: number): WindowStats => ({ requests: 600, errors: 0, errorRate: 0, rps: 10, p50: p, p95: p, p99: p });
    for (let m = 0; m < 30; m++) recordMinute(b, T0 + m * MIN, w(42));
    expect(robustStats(b.values.p95)).toEqual({ median: 42, sigma: 0, n: 30 });
    const at = (p: number) => scoreWindows(b, { '1m': w(p), '5m': w(p), '15m': w(p) }, T0 + 31 * MIN);
    expect(flagged([at(42 * 1.05)])).toEqual([]);
    const z = at(42 * 1.05).scores.find((s) => s.signal === 'p95' && s.window === '1m')!.z!;
    expect(z).toBeCloseTo(0.05 / 0.1, 5); // the relative floor: sigma = 10 % of 42 ms
    expect(flagged([at(63)]).map((f) => f.signal)).toEqual(['p50', 'p50', 'p50', 'p95', 'p95', 'p95', 'p99', 'p99', 'p99']);
  });

  it('quiet services (0.2 and 2 req/s, 20 % errors) raise none: windows of too few requests are not scored, the rest have floors', () => {
    for (const rps of [2, 0.2]) {
      const { snaps } = simulate({ rps: () => rps, latency: () => 25, errorP: () => 0.2 }, 2 * 3600, 5, 5);
      expect(flagged(snaps), `${rps} req/s`).toEqual([]);
    }
    const { snaps } = simulate({ rps: () => 0.2, latency: () => 25, errorP: () => 0.2 }, 30 * 60, 6, 10);
    const last = snaps.at(-1)!.scores;
    expect(last.find((s) => s.signal === 'rps' && s.window === '15m')!.z).not.toBeNull();
    expect(last.find((s) => s.signal === 'p99' && s.window === '1m')!.value).toBeNull(); // under minRequests
  }, 60_000);
});

describe('baseline bookkeeping', () => {
  it('records complete minutes once, after the grace, keeping the newest baselineMinutes', () => {
    const b = emptyBaseline();
    expect(minutesDue(b, T0 + 5_000, T0 + MIN + GRACE - 1, GRACE)).toEqual([]);
    expect(minutesDue(b, T0 + 5_000, T0 + MIN + GRACE, GRACE)).toEqual([T0]);
    const w: WindowStats = { requests: 60, errors: 0, errorRate: 0, rps: 1, p50: 5, p95: 6, p99: 7 };
    recordMinute(b, T0, w);
    recordMinute(b, T0, w); // repeated: ignored
    expect(b.values.rps).toEqual([1]);
    expect(minutesDue(b, T0, T0 + 3 * MIN + GRACE, GRACE)).toEqual([T0 + MIN, T0 + 2 * MIN]);
    // After a long silence only the newest baselineMinutes are due (the rest would fall out anyway).
    const due = minutesDue(b, T0, T0 + 500 * MIN + GRACE, GRACE);
    expect(due.length).toBe(ANOMALY_DEFAULTS.baselineMinutes);
    expect(due.at(-1)).toBe(T0 + 499 * MIN);
    for (let m = 1; m <= 100; m++) recordMinute(b, T0 + m * MIN, { ...w, rps: m, requests: 5 });
    expect(b.values.rps.length).toBe(60);
    expect(b.values.rps[59]).toBe(100);
    expect(b.values.p95.every((v) => v === null)).toBe(true); // 5 requests < minRequests
  });
});

describe('periods', () => {
  const snap = (ts: number, z: number | null): AnomalySnapshot => ({
    ts,
    ready: true,
    baselineMinutes: 60,
    scores: [{ signal: 'p95', window: '1m', value: 1, baseline: 1, sigma: 1, z, flagged: z !== null && Math.abs(z) >= 3 }],
  });
  it('opens on a flag, merges flags less than the gap apart, closes after the gap, keeps the signed peak', () => {
    let open: PeriodState[] = [];
    const events: string[] = [];
    for (const [ts, z] of [[0, 1], [1000, 3.5], [2000, 5], [3000, 1], [20_000, -6], [21_000, 0], [52_000, 0], [60_000, 4]] as const) {
      const r = trackPeriods(open, snap(ts, z), 30_000);
      open = r.open;
      for (const p of r.started) events.push(`start ${p.from}`);
      for (const p of r.ended) events.push(`end ${p.from}-${p.to} peak ${p.peakZ}`);
    }
    expect(events).toEqual(['start 1000', 'end 1000-20000 peak -6', 'start 60000']);
  });
});

describe('anomalyCondition (the seam for rules)', () => {
  const snap: AnomalySnapshot = {
    ts: 0,
    ready: true,
    baselineMinutes: 60,
    scores: [
      { signal: 'p95', window: '5m', value: 90, baseline: 30, sigma: 10, z: 6, flagged: true },
      { signal: 'rps', window: '1m', value: 1, baseline: 20, sigma: 2, z: -9.5, flagged: true },
      { signal: 'errorRate', window: '1m', value: null, baseline: 0, sigma: null, z: null, flagged: false },
    ],
  };
  it('gives the z-score and whether it passes the threshold in the direction asked', () => {
    expect(anomalyCondition(snap, 'p95', '5m')).toEqual({ value: 6, firing: true });
    expect(anomalyCondition(snap, 'p95', '5m', { direction: 'down' })).toEqual({ value: 6, firing: false });
    expect(anomalyCondition(snap, 'p95', '5m', { threshold: 7 })).toEqual({ value: 6, firing: false });
    expect(anomalyCondition(snap, 'rps', '1m', { direction: 'down' })).toEqual({ value: -9.5, firing: true });
    expect(anomalyCondition(snap, 'rps', '1m', { direction: 'up' })).toEqual({ value: -9.5, firing: false });
    expect(anomalyCondition(snap, 'errorRate', '1m')).toEqual({ value: null, firing: false });
    expect(anomalyCondition(snap, 'p99', '15m')).toEqual({ value: null, firing: false });
    expect(anomalyCondition(null, 'p95', '5m')).toEqual({ value: null, firing: false });
  });
});
