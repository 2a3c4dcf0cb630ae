import { describe, expect, it } from 'vitest';
import { sloStatus, type Slo } from '../../../durable-objects/core/slo.ts';
import { EMPTY_SLO, formatBurn, formatExhaustion, mergeStatuses, objectiveDigits, sloBody, sloDraft, sloSeries, type SloJson } from './slo.ts';

const json: SloJson = { id: 'slo_1', name: 'Checkout', service: 'shop', route: 'GET /pay', kind: 'latency', threshold_ms: 200, objective: 0.999, window_days: 28, created_at: 1, updated_at: 2 };

describe('SLO form', () => {
  it('round-trips an SLO through the draft, objective as a percentage', () => {
    const d = sloDraft(json);
    expect(d).toMatchObject({ objectivePct: '99.9', thresholdMs: '200', route: 'GET /pay', windowDays: 28 });
    expect(sloBody(d)).toEqual({ name: 'Checkout', service: 'shop', route: 'GET /pay', kind: 'latency', threshold_ms: 200, objective: 0.999, window_days: 28 });
    expect(sloBody({ ...d, objectivePct: '99.95' }).objective).toBe(0.9995);
  });
  it('availability sends no threshold, an empty route is the whole service, a bad number stays bad for the server to name', () => {
    const b = sloBody({ ...EMPTY_SLO, name: ' a ', service: 'svc', thresholdMs: '300', route: '  ' });
    expect(b).toMatchObject({ name: 'a', route: null, threshold_ms: null, objective: 0.999, window_days: 30 });
    expect(sloBody({ ...EMPTY_SLO, objectivePct: 'abc' }).objective).toBeNaN();
  });
});

describe('SLO live status', () => {
  const slo: Slo = { id: 'slo_1', name: 'a', service: 's', route: null, kind: 'availability', thresholdMs: null, objective: 0.99, windowDays: 30, createdAt: 0 };
  it('a newer status replaces an older one; an older one is ignored and the map kept', () => {
    const old = sloStatus(slo, () => ({ good: 99, total: 100 }), 1000);
    const newer = sloStatus(slo, () => ({ good: 90, total: 100 }), 2000);
    const m = mergeStatuses({}, [old]);
    expect(m.slo_1!.good).toBe(99);
    const m2 = mergeStatuses(m, [newer]);
    expect(m2.slo_1!.good).toBe(90);
    expect(mergeStatuses(m2, [old])).toBe(m2);
  });
});

describe('sloSeries', () => {
  it("traces the cumulative SLI and budget; the last point equals the status's", () => {
    const pts = [
      { ts: 3, good: 100, total: 100 },
      { ts: 1, good: 99, total: 100 },
      { ts: 2, good: 0, total: 0 },
    ];
    const s = sloSeries(pts, 0.99);
    expect(s.map((p) => p.ts)).toEqual([1, 2, 3]);
    expect(s[0]).toEqual({ ts: 1, sli: 0.99, budget: expect.closeTo(0, 9) as number });
    expect(s[2]!.sli).toBeCloseTo(0.995, 9);
    expect(s[2]!.budget).toBeCloseTo(0.5, 9); // 1 bad of 2 allowed
    const status = sloStatus({ id: 'x', name: 'x', service: 's', route: null, kind: 'availability', thresholdMs: null, objective: 0.99, windowDays: 30, createdAt: 0 }, () => ({ good: 199, total: 200 }), 0);
    expect(s[2]!.budget).toBeCloseTo(status.budgetRemaining!, 9);
    expect(sloSeries([{ ts: 1, good: 0, total: 0 }], 0.99)).toEqual([{ ts: 1, sli: null, budget: null }]);
  });
});

describe('display', () => {
  it('time to exhaustion, burn rates, objective digits', () => {
    expect(formatExhaustion(null)).toBe('–');
    expect(formatExhaustion(0)).toBe('now');
    expect(formatExhaustion(40_000)).toBe('40 s');
    expect(formatExhaustion((2 * 3600 + 5 * 60) * 1000)).toBe('2 h 5 m');
    expect(formatExhaustion((3 * 86400 + 4 * 3600 + 59) * 1000)).toBe('3 d 4 h');
    expect(formatBurn(14.4)).toBe('14.4x');
    expect(formatBurn(0.5)).toBe('0.50x');
    expect(formatBurn(null)).toBe('–');
    expect([0.99, 0.999, 0.9995].map(objectiveDigits)).toEqual([0, 1, 2]);
  });
});
