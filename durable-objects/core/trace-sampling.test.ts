// The sampling cores: trace levels are uniform and nested, the budget holds its cap exactly and
// keeps a steady service's level for a whole minute, the top-k keeps each minute's slowest.
import { describe, expect, it } from 'vitest';
import { TRACE_SAMPLING } from '../../protocol/traces.ts';
import { keptAt, levelFor, SampleBudget, SlowestPerMinute, traceHash, traceLevel } from './trace-sampling.ts';

const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');
const hist = (levels: number[]) => {
  const h = new Array<number>(TRACE_SAMPLING.maxLevel).fill(0);
  for (const l of levels) h[l]!++;
  return h;
};

describe('traceLevel', () => {
  it('is the same for the same id and about 2^-L of ids reach level L, random or sequential', () => {
    const id = hex(16);
    expect(traceLevel(id)).toBe(traceLevel(id));
    for (const ids of [Array.from({ length: 40_000 }, () => hex(16)), Array.from({ length: 40_000 }, (_, i) => i.toString(16).padStart(32, '0'))]) {
      const levels = ids.map(traceLevel);
      for (const L of [1, 2, 3, 4]) {
        const share = levels.filter((l) => l >= L).length / ids.length;
        expect(Math.abs(share - 2 ** -L), `level ${L}`).toBeLessThan(0.02);
      }
    }
    expect(traceHash('a')).not.toBe(traceHash('b'));
  });
});

describe('SampleBudget', () => {
  it('never keeps more than the cap in a minute, and raises the level only as far as needed', () => {
    const cap = 100;
    const b = new SampleBudget(cap);
    const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
    let kept = 0;
    let prev = 0;
    for (let i = 0; i < 50; i++) {
      const levels = hist(Array.from({ length: 40 }, () => traceLevel(hex(16))));
      const level = b.decide(levels, t0 + i * 1000);
      expect(level).toBeGreaterThanOrEqual(prev); // within a minute it only rises
      prev = level;
      kept += keptAt(levels, level);
      expect(kept).toBeLessThanOrEqual(cap);
    }
    expect(b.state().kept).toBe(kept);
    expect(kept).toBeGreaterThan(cap / 4); // not starved: about half the cap or more once settled
  });

  it('lets no burst take more than the allowance, which refills at the cap\'s rate', () => {
    const b = new SampleBudget(1200, 300);
    const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
    const batch = () => hist(Array.from({ length: 2000 }, () => traceLevel(hex(16))));
    const first = batch();
    expect(keptAt(first, b.decide(first, t0))).toBeLessThanOrEqual(300);
    const kept0 = b.state().kept;
    const again = batch();
    const level = b.decide(again, t0 + 100); // 0.1 s later: 2 spans' worth refilled
    expect(b.state().kept - kept0).toBeLessThanOrEqual(300 - kept0 + 2);
    expect(keptAt(again, level)).toBe(b.state().kept - kept0);
  });

  it("starts the next minute at the level the last minute's traffic fits, and at full rate after a gap", () => {
    const b = new SampleBudget(100);
    const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
    const all: number[] = [];
    for (let i = 0; i < 10; i++) {
      const levels = Array.from({ length: 100 }, () => traceLevel(hex(16)));
      all.push(...levels);
      b.decide(hist(levels), t0 + i * 1000);
    }
    expect(b.decide(hist([]), t0 + 60_000)).toBe(levelFor(hist(all), 100));
    expect(b.decide(hist([]), t0 + 10 * 60_000)).toBe(0);
  });
});

describe('SlowestPerMinute', () => {
  it('keeps a candidate while it is among the k slowest of its route and minute, once per span', () => {
    const s = new SlowestPerMinute(3);
    const e = (ms: number, spanId: string) => ({ ms, spanId, traceId: 't', endMs: 0 });
    expect([10, 5, 20].map((ms, i) => s.offer(1, 'GET /a', e(ms, `s${i}`)))).toEqual([true, true, true]);
    expect(s.offer(1, 'GET /a', e(4, 'x'))).toBe(false); // slower than none of the three
    expect(s.offer(1, 'GET /a', e(6, 'y'))).toBe(true); // pushes out 5
    expect(s.offer(1, 'GET /a', e(10, 's0'))).toBe(true); // a retry of a kept span
    expect(s.offer(1, 'GET /b', e(1, 'z'))).toBe(true); // another route
    expect(s.offer(2, 'GET /a', e(1, 'w'))).toBe(true); // another minute
    expect([...s.entries(1, 1, 'GET /a')].map((x) => x.ms)).toEqual([20, 10, 6]);
    s.prune(100 * 60_000);
    expect([...s.entries(0, 10)]).toEqual([]);
  });
});
