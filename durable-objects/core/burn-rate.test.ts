// The burn-rate alerts against the SRE Workbook's table, with fake time: exact counts fed minute
// by minute into SloCounts, the alert's value from burnValue, and the engine's state machine.
import { describe, expect, it } from 'vitest';
import { burnRate, burnValue, scaledTiers, WORKBOOK_TIERS, type BurnTier } from './burn-rate.ts';
import { initialState, step, type Rule, type SeriesState } from './rules.ts';
import { SloCounts } from './slo-counts.ts';

const MIN = 60_000;
const H = 60 * MIN;
const OBJ = 0.999;
const PER_MIN = 100_000;
const T0 = Date.UTC(2026, 0, 1);

const ruleOf = (t: BurnTier): Rule => ({ id: 'r', name: t.name, metric: 'slo.burn_rate', matchers: {}, comparator: '>', threshold: t.factor, forMs: 0, keepFiringForMs: 0, severity: t.severity, channelIds: [], enabled: true, kind: 'burn_rate', windowMs: t.longMs, shortWindowMs: t.shortMs });

/**
 * Feeds PER_MIN requests a minute with `errors(minute)` bad ones, evaluating the rule after each
 * minute. A long window of healthy minutes comes first (m < 0), so the windows are full.
 */
function run(t: BurnTier, minutes: number, errors: (m: number) => number, evalFrom = 0) {
  const counts = new SloCounts();
  const rule = ruleOf(t);
  let st: SeriesState = initialState();
  const events: { m: number; event: string; value: number }[] = [];
  for (let m = -t.longMs / MIN - 10; m < minutes; m++) {
    if (m < 0) {
      counts.add(T0 + m * MIN, PER_MIN, PER_MIN, T0 + m * MIN);
      continue;
    }
    const at = T0 + m * MIN;
    counts.add(at, PER_MIN - errors(m), PER_MIN, at);
    const now = at + 30_000;
    if (m < evalFrom) continue;
    const { value } = burnValue(counts.sum(now, t.longMs), counts.sum(now, t.shortMs), OBJ);
    const r = step(rule, st, value, now, () => `ep${m}`);
    st = r.state;
    if (r.event) events.push({ m, event: r.event, value });
  }
  return { events, st };
}

/** Bad requests a minute for a burn of `factor` x (1 + delta): errors / PER_MIN = factor x (1 - OBJ) x (1 + delta). */
const bad = (factor: number, delta: number) => Math.round(factor * (1 - OBJ) * PER_MIN * (1 + delta));

describe('burn rate', () => {
  it('is the error rate over the rate the objective allows', () => {
    expect(burnRate({ good: 999, total: 1000 }, 0.999)).toBeCloseTo(1, 9);
    expect(burnRate({ good: 980, total: 1000 }, 0.999)).toBeCloseTo(20, 9);
    expect(burnRate({ good: 0, total: 0 }, 0.999)).toBeNull();
  });

  it('the workbook table for a 30-day SLO', () => {
    expect(WORKBOOK_TIERS.map((t) => [t.factor, t.longMs / H, t.shortMs / MIN, t.severity])).toEqual([
      [14.4, 1, 5, 'CRITICAL'],
      [6, 6, 30, 'CRITICAL'],
      [3, 24, 120, 'WARNING'],
      [1, 72, 360, 'WARNING'],
    ]);
    expect(scaledTiers(30)).toEqual(WORKBOOK_TIERS);
  });

  it('scales the windows for 7- and 28-day SLOs, factors unchanged', () => {
    expect(scaledTiers(7).map((t) => [t.factor, t.longMs / 1000, t.shortMs / 1000])).toEqual([
      [14.4, 840, 70],
      [6, 5040, 420],
      [3, 20160, 1680],
      [1, 60480, 5040],
    ]);
    expect(scaledTiers(28).map((t) => [t.longMs / 1000, t.shortMs / 1000])).toEqual([
      [3360, 280],
      [20160, 1680],
      [80640, 6720],
      [241920, 20160],
    ]);
  });

  for (const t of WORKBOOK_TIERS) {
    const long = t.longMs / MIN;
    it(`${t.factor}x over ${long / 60} h and ${t.shortMs / MIN} m: just under does not fire, just over does`, () => {
      // Exactly steady: both windows see the same rate.
      expect(run(t, long + 10, () => bad(t.factor, -0.02)).events).toEqual([]);
      expect(run(t, long + 10, () => bad(t.factor, 0)).events).toEqual([]); // at the factor: not above it
      const over = run(t, long + 10, () => bad(t.factor, +0.02));
      expect(over.events.map((e) => e.event)).toEqual(['firing']);
      // It fires once the long window holds enough bad minutes (the long window gates firing).
      expect(over.events[0]!.m).toBeGreaterThan(long * 0.9);
      expect(over.events[0]!.m).toBeLessThanOrEqual(long);
    });

    it(`${t.factor}x: the short window gates firing and resolving`, () => {
      // A heavy burn that stopped more than a short window ago: the long window still burns
      // above the factor, the short one does not, so nothing fires.
      const shortMin = t.shortMs / MIN;
      const burst = (m: number) => (m < long / 2 ? bad(t.factor, 2) : 0);
      const from = long / 2 + shortMin + 1;
      expect(run(t, from + 5, burst, from).events).toEqual([]);
      const probe = new SloCounts();
      for (let m = -long; m < from; m++) probe.add(T0 + m * MIN, PER_MIN - (m < 0 ? 0 : burst(m)), PER_MIN, T0 + m * MIN);
      const v = burnValue(probe.sum(T0 + from * MIN, t.longMs), probe.sum(T0 + from * MIN, t.shortMs), OBJ);
      expect(v.long).toBeGreaterThan(t.factor); // the long window alone would have fired
      expect(v.short).toBe(0);
      // Fires while both burn, resolves once the short window recovers, long before the long one does.
      const r = run(t, long + 3 * shortMin, (m) => (m < long + shortMin ? bad(t.factor, 0.5) : 0));
      expect(r.events.map((e) => e.event)).toEqual(['firing', 'resolved']);
      const resolvedAt = r.events[1]!.m;
      expect(resolvedAt).toBeGreaterThan(long + shortMin);
      expect(resolvedAt).toBeLessThanOrEqual(long + 2 * shortMin + 1);
    });
  }

  it('a 7-day SLO pages on the scaled 14 m / 70 s windows', () => {
    const t = scaledTiers(7)[0]!;
    const counts = new SloCounts();
    const rule = ruleOf(t);
    let st = initialState();
    const events: string[] = [];
    // Per second: 100 requests; healthy for 20 minutes, 1.5x the factor for 20 minutes, then healthy.
    for (let s = -20 * 60; s < 40 * 60; s++) {
      const at = T0 + s * 1000;
      const errs = s >= 0 && s < 20 * 60 ? Math.round(t.factor * (1 - OBJ) * 100 * 1.5) : 0;
      counts.add(at, 100 - errs, 100, at);
      const { value } = burnValue(counts.sum(at, t.longMs), counts.sum(at, t.shortMs), OBJ);
      const r = step(rule, st, value, at, () => `e${s}`);
      st = r.state;
      if (r.event) events.push(`${r.event}@${Math.round(s)}`);
    }
    expect(events.length).toBe(2);
    const [fired, resolved] = events.map((e) => Number(e.split('@')[1]));
    expect(fired).toBeLessThanOrEqual(840); // within the long window's 14 minutes
    // Errors stop at 1200 s: resolved once the 70 s short window holds too few of them.
    expect(resolved).toBeGreaterThan(1200);
    expect(resolved).toBeLessThanOrEqual(1200 + 70);
  });
});
