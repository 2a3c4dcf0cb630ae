import { describe, expect, it } from 'vitest';
import { downBoundMs, watchPeriod } from './watch-period.ts';

describe('watchPeriod', () => {
  it('follows the tightest for between the floor and the ceiling', () => {
    expect(watchPeriod(60_000)).toBe(60_000);
    expect(watchPeriod(30_000)).toBe(30_000);
    expect(watchPeriod(1_000)).toBe(10_000);
    expect(watchPeriod(15 * 60_000)).toBe(60_000);
    expect(watchPeriod(500, { minPeriodMs: 200, maxPeriodMs: 1000 })).toBe(500);
  });
  it('bounds the default rule at two minutes', () => {
    expect(downBoundMs(60_000)).toBe(120_000);
    expect(downBoundMs(5 * 60_000)).toBe(6 * 60_000);
    expect(downBoundMs(20_000)).toBe(40_000);
  });
});
