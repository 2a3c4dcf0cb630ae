import { describe, expect, it } from 'vitest';
import { planSignals } from '../../../protocol/apm.ts';
import type { SignalPoint } from './apm.ts';
import { advanceSpark, bucketSeconds, chartSeries, densify, POINTS, settledUntil, signalsQuery, sparkPoints, tailQuery, upsertPoints } from './signals.ts';

const p = (ts: number, requests: number, errors = 0, p95: number | null = requests ? 10 : null): SignalPoint => ({ ts, requests, errors, p50: p95 && p95 / 2, p95, p99: p95 && p95 * 2 });
const NOW = 1_800_000_000_500; // half a second into a second

describe('the signals query of a window', () => {
  it('asks the per-second tier for exactly one bucket a second on 5 and 15 minute windows', () => {
    for (const span of [5 * 60_000, 15 * 60_000]) {
      const q = signalsQuery(NOW - span, NOW, true, NOW);
      expect(q.perSecond).toBe(true);
      expect(q.from % 1000).toBe(0);
      expect(q.to % 1000).toBe(0);
      // The server, a little ahead of the browser, still plans 1 s buckets of the 1 s tier.
      for (const skew of [0, 5_000]) expect(planSignals(q.from, q.to, NOW + skew, q.points)).toEqual({ tier: '1s', stepMs: 1000 });
    }
  });

  it('anchors a live window at the time of the request, not at the time the view was made', () => {
    const q = signalsQuery(NOW - 900_000, NOW, true, NOW + 1_700);
    expect(q.perSecond).toBe(true);
    expect(q.to).toBeGreaterThan(NOW + 1_700);
    expect(planSignals(q.from, q.to, NOW + 1_700, q.points)).toEqual({ tier: '1s', stepMs: 1000 });
    expect(signalsQuery(NOW - 3600_000, NOW, true, NOW + 1_700)).toMatchObject({ from: NOW - 3600_000 + 1_700, to: NOW + 1_700 });
  });

  it('starts a 15 minute window inside the per-second tier, and a short custom range there is per-second too', () => {
    const q = signalsQuery(NOW - 900_000, NOW, true, NOW);
    expect(q.from).toBeGreaterThan(NOW - 900_000);
    expect(q.to).toBeGreaterThan(NOW); // spans stamped a little ahead are in
    const custom = signalsQuery(NOW - 240_000, NOW - 60_000, false, NOW);
    expect(custom).toMatchObject({ perSecond: true, to: NOW - 60_000 + 500 });
    expect(planSignals(custom.from, custom.to, NOW, custom.points)).toEqual({ tier: '1s', stepMs: 1000 });
  });

  it('asks for POINTS buckets of a rollup tier on longer or older windows', () => {
    const hour = signalsQuery(NOW - 3600_000, NOW, true, NOW);
    expect(hour).toEqual({ from: NOW - 3600_000, to: NOW, points: POINTS, perSecond: false });
    expect(planSignals(hour.from, hour.to, NOW, hour.points).tier).toBe('1m');
    expect(signalsQuery(NOW - 3600_000, NOW - 3000_000, false, NOW).perSecond).toBe(false);
  });
});

describe('the tail query (reconnect gaps, newest rollup buckets)', () => {
  it('covers the buckets from the one holding `since` to the one holding now, at the same step and tier', () => {
    for (const [span, since] of [
      [3600_000, NOW - 90_000],
      [6 * 3600_000, NOW - 10_000],
      [24 * 3600_000, NOW - 400_000],
      [7 * 86_400_000, NOW - 30_000],
    ] as const) {
      const plan = planSignals(NOW - span, NOW, NOW, POINTS);
      const t = tailQuery(since, plan.stepMs, NOW, NOW - span);
      expect(t.from).toBeLessThanOrEqual(since);
      expect(t.from % plan.stepMs).toBe(0);
      expect(t.to).toBeGreaterThan(NOW);
      expect(planSignals(t.from, t.to, NOW, t.points).stepMs).toBe(plan.stepMs);
    }
  });

  it('refills a per-second gap in 1 s buckets, never from before the per-second tier', () => {
    const t = tailQuery(NOW - 45_000, 1000, NOW, NOW - 900_000);
    expect(t.from).toBe(Math.floor((NOW - 45_000) / 1000) * 1000);
    expect(planSignals(t.from, t.to, NOW, t.points)).toEqual({ tier: '1s', stepMs: 1000 });
    const long = tailQuery(NOW - 2 * 3600_000, 1000, NOW, NOW - 900_000);
    expect(long.from).toBeGreaterThan(NOW - 900_000);
    expect(planSignals(long.from, long.to, NOW, long.points)).toEqual({ tier: '1s', stepMs: 1000 });
  });
});

describe('merging points by ts', () => {
  it('appends newer points and drops the ones that left the window', () => {
    const out = upsertPoints([p(1000, 1), p(2000, 2)], [p(3000, 3)], 2000);
    expect(out.map((x) => [x.ts, x.requests])).toEqual([
      [2000, 2],
      [3000, 3],
    ]);
  });

  it('replaces a second sent again (late spans) and inserts out of order ones in order', () => {
    const out = upsertPoints([p(1000, 1), p(2000, 2), p(4000, 1)], [p(2000, 5, 1), p(3000, 1)], 0);
    expect(out.map((x) => [x.ts, x.requests, x.errors])).toEqual([
      [1000, 1, 0],
      [2000, 5, 1],
      [3000, 1, 0],
      [4000, 1, 0],
    ]);
  });

  it('keeps the version with more requests, whichever arrives last (history answer vs live push)', () => {
    const live = [p(2000, 7)];
    const history = [p(1000, 1), p(2000, 4)];
    expect(upsertPoints(upsertPoints([], live, 0), history, 0).find((x) => x.ts === 2000)!.requests).toBe(7);
    expect(upsertPoints(upsertPoints([], history, 0), live, 0).find((x) => x.ts === 2000)!.requests).toBe(7);
    // An empty version (a route absent from a pushed second) does not erase one with requests.
    expect(upsertPoints([p(2000, 3)], [p(2000, 0)], 0)[0]!.requests).toBe(3);
  });
});

describe('empty buckets', () => {
  it('fills the missing buckets of the window up to `until`, and nothing after', () => {
    const out = densify([p(120_000, 2), p(300_000, 1)], 50_000, 240_000, 60_000);
    expect(out.map((x) => [x.ts, x.requests])).toEqual([
      [60_000, 0],
      [120_000, 2],
      [180_000, 0],
      [240_000, 0],
      [300_000, 1],
    ]);
    expect(out[0]!.p95).toBeNull();
  });

  it('counts a bucket as settled once it ended SETTLE_MS ago', () => {
    expect(settledUntil(100_500, 1000)).toBe(89_000); // [89 s, 90 s) ended 10.5 s ago
    expect(settledUntil(3600_000 + 5_000, 60_000)).toBe(3540_000 - 60_000);
  });
});

describe('rates from bucket counts', () => {
  it('divides by the bucket width, or by the time elapsed in the bucket that holds now', () => {
    expect(bucketSeconds(0, 60_000, 120_000)).toBe(60);
    expect(bucketSeconds(120_000, 60_000, 135_000)).toBe(15);
    expect(bucketSeconds(120_000, 60_000, 120_100)).toBe(1); // never below a second
    const s = chartSeries([p(0, 120, 6), p(60_000, 30, 0), p(120_000, 0)], 60_000, 135_000);
    expect(s.rps).toEqual([
      [0, 2],
      [60_000, 0.5],
      [120_000, 0],
    ]);
    expect(s.errorsPerSec[0]).toEqual([0, 0.1]);
    expect(s.errorPct.map((x) => x[1])).toEqual([5, 0, null]);
    expect(s.p95.map((x) => x[1])).toEqual([10, 10, null]);
  });
});

describe('service sparklines', () => {
  it('places the per-minute values on a time axis ending now', () => {
    expect(sparkPoints([1, 2, 3], 300_000)).toEqual([
      [180_000, 1],
      [240_000, 2],
      [300_000, 3],
    ]);
  });

  it('updates the newest point from live windows and starts a new one each minute', () => {
    let s = sparkPoints([1, 2, 3], 300_000);
    s = advanceSpark(s, 310_000, 4, 3);
    expect(s).toEqual([
      [180_000, 1],
      [240_000, 2],
      [300_000, 4],
    ]);
    s = advanceSpark(s, 361_000, 5, 3);
    expect(s).toEqual([
      [240_000, 2],
      [300_000, 4],
      [361_000, 5],
    ]);
    expect(advanceSpark(s, 100, 9, 3)).toBe(s); // an older push changes nothing
  });
});
