import { describe, expect, it } from 'vitest';
import { RateTracker } from '../rate.ts';

describe('RateTracker', () => {
  it('yields nothing on the first reading, then per-second rates', () => {
    const r = new RateTracker();
    expect(r.rate('a', 100, 0)).toBeUndefined();
    expect(r.rate('a', 600, 5000)).toBe(100);
    expect(r.rate('a', 600, 10000)).toBe(0);
  });

  it('drops the interval where a counter goes backwards, then resumes from the new baseline', () => {
    const r = new RateTracker();
    r.rate('a', 4294967000, 0);
    expect(r.rate('a', 200, 5000)).toBeUndefined(); // 32-bit wrap / reboot
    expect(r.rate('a', 1200, 10000)).toBe(200);
  });

  it('yields nothing when no time passed', () => {
    const r = new RateTracker();
    r.rate('a', 1, 1000);
    expect(r.rate('a', 5, 1000)).toBeUndefined();
    expect(r.delta('a', 9, 2000)).toEqual({ delta: 4, dtMs: 1000 });
  });

  it('keeps keys apart and forgets keys not read since the last sweep', () => {
    const r = new RateTracker();
    r.rate('a', 1, 0);
    r.rate('b', 1, 0);
    r.sweep();
    r.rate('a', 2, 1000);
    r.sweep();
    expect(r.size).toBe(1);
    expect(r.rate('b', 10, 2000)).toBeUndefined(); // b was forgotten: a fresh first reading
    expect(r.rate('a', 4, 2000)).toBe(2);
  });
});
