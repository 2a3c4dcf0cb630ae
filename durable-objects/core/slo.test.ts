// SLO counting and status: which requests an SLO counts, the window sums at each resolution,
// and the budget and time-to-exhaustion arithmetic.
import { describe, expect, it } from 'vitest';
import { SloCounts } from './slo-counts.ts';
import { countEntry, sloStatus, thresholdsFor, type Slo } from './slo.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const slo = (over: Partial<Slo> = {}): Slo => ({ id: 's', name: 'api', service: 'checkout', route: null, kind: 'availability', thresholdMs: null, objective: 0.99, windowDays: 30, createdAt: 0, ...over });

describe('countEntry', () => {
  const e = { route: 'GET /a', count: 10, errors: 2, le: { '200': 7 } };
  it('availability: good = requests that are not errors', () => expect(countEntry(slo(), e)).toEqual({ good: 8, total: 10 }));
  it('latency: good = at or under the threshold, from the exact le count', () => expect(countEntry(slo({ kind: 'latency', thresholdMs: 200 }), e)).toEqual({ good: 7, total: 10 }));
  it('no exact count for the threshold: not counted (never estimated)', () => expect(countEntry(slo({ kind: 'latency', thresholdMs: 300 }), e)).toBeNull());
  it('a route SLO counts only its route', () => {
    expect(countEntry(slo({ route: 'GET /b' }), e)).toBeNull();
    expect(countEntry(slo({ route: 'GET /a' }), e)).toEqual({ good: 8, total: 10 });
  });
  it('thresholdsFor: distinct latency thresholds of the service', () => {
    const list = [slo({ kind: 'latency', thresholdMs: 300 }), slo({ kind: 'latency', thresholdMs: 100 }), slo({ kind: 'latency', thresholdMs: 300 }), slo({ service: 'other', kind: 'latency', thresholdMs: 5 }), slo()];
    expect(thresholdsFor(list, 'checkout')).toEqual([100, 300]);
    expect(thresholdsFor(undefined, 'checkout')).toEqual([]);
  });
});

describe('SloCounts', () => {
  it('sums (now - window, now] from the finest ring that covers it', () => {
    const c = new SloCounts();
    const now = T0 + 40 * DAY;
    // One request a second for the last 20 minutes, 1000 a minute for the 3 days before, 1e5 an hour for 30 days before that.
    for (let s = 1; s <= 1200; s++) c.add(now - 1200_000 + s * 1000, 1, 1, now);
    expect(c.sum(now, 60_000)).toEqual({ good: 60, total: 60 });
    expect(c.sum(now, 15 * 60_000)).toEqual({ good: 900, total: 900 });
    expect(c.sum(now, 30 * 60_000).total).toBe(1200);
    c.add(now - 2 * DAY, 0, 1000, now); // bad requests two days ago
    expect(c.sum(now, DAY).total).toBe(1200);
    expect(c.sum(now, 3 * DAY)).toEqual({ good: 1200, total: 2200 });
    c.add(now - 20 * DAY, 500, 500, now);
    expect(c.sum(now, 30 * DAY)).toEqual({ good: 1700, total: 2700 });
    expect(c.sum(now, 7 * DAY).total).toBe(2200);
    c.add(now - 32 * DAY, 9, 9, now); // older than every ring: dropped
    expect(c.sum(now, 30 * DAY).total).toBe(2700);
  });

  it('a restart rebuilds minutes and hours from stored minutes, seconds from stored seconds', () => {
    const now = T0 + 10 * DAY;
    const c = new SloCounts();
    c.addMinute(now - 10 * 60_000, 50, 60, now);
    c.addMinute(now - 5 * DAY, 1, 1, now);
    c.addSecond(now - 10_000, 3, 4, now);
    expect(c.sum(now, 60_000)).toEqual({ good: 3, total: 4 });
    expect(c.sum(now, 3600_000)).toEqual({ good: 50, total: 60 });
    expect(c.sum(now, 7 * DAY)).toEqual({ good: 51, total: 61 });
  });
});

describe('sloStatus', () => {
  it('SLI, budget in % and requests, burn rates and time to exhaustion', () => {
    const now = T0 + 40 * DAY;
    const c = new SloCounts();
    // 99 % objective. 100,000 requests over 10 days with 500 bad: half the budget spent.
    for (let h = 0; h < 240; h++) c.add(now - 10 * DAY + h * 3600_000, h === 0 ? 100_000 / 240 - 300 : 100_000 / 240, 100_000 / 240, now);
    // The last hour: 1000 requests, 200 bad (20x burn).
    for (let m = 1; m <= 60; m++) c.add(now - 3600_000 + m * 60_000, 800 / 60, 1000 / 60, now);
    const st = sloStatus(slo(), (w) => c.sum(now, w), now);
    expect(st.total).toBeCloseTo(101_000, 6);
    expect(st.good).toBeCloseTo(101_000 - 500, 6);
    expect(st.sli).toBeCloseTo(1 - 500 / 101_000, 9);
    expect(st.budgetRequests).toBeCloseTo(1010, 6);
    expect(st.budgetRemainingRequests).toBeCloseTo(510, 6);
    expect(st.budgetRemaining).toBeCloseTo(1 - 500 / 1010, 9);
    expect(st.burnRates['1h']).toBeCloseTo(20, 6);
    expect(st.burnRates['5m']).toBeCloseTo(20, 6);
    // 200 bad an hour: 510 left last 2.55 h.
    expect(st.exhaustsInMs! / 3600_000).toBeCloseTo(2.55, 6);
    expect(st.status).toBe('burning');
  });

  it('no traffic: no SLI, nothing burns; overspent: exhausted, 0 ms left', () => {
    const empty = sloStatus(slo(), () => ({ good: 0, total: 0 }), T0);
    expect([empty.sli, empty.budgetRemaining, empty.exhaustsInMs, empty.status, empty.burnRates['1h']]).toEqual([null, null, null, 'no_data', null]);
    const spent = sloStatus(slo(), () => ({ good: 90, total: 100 }), T0);
    expect([spent.status, spent.exhaustsInMs]).toEqual(['exhausted', 0]);
    expect(spent.budgetRemaining).toBeCloseTo(1 - 10 / 1, 9);
  });
});
