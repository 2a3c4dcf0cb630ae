import { describe, expect, it } from 'vitest';
import { earliestUnflushed, markDirty, pendingAfter } from './flush-marks.ts';

describe('flush marks', () => {
  it.each([
    // pendingFrom, flushedUntil, ts -> pendingFrom
    [null, null, 100, 100],
    [200, null, 100, 100],
    [50, null, 100, 50],
    [null, 100, 100, 100], // at the flushed mark: waits
    [null, 100, 99, null], // before it: dirty, not pending
    [150, 100, 120, 120],
    [120, 100, 150, 120],
  ])('pendingAfter(%s, %s, %s) = %s', (pending, flushed, ts, want) => {
    expect(pendingAfter(pending, flushed, ts)).toBe(want);
  });

  it.each([
    // flushedUntil, dirtyFrom, ts -> moved, dirtyFrom after
    [null, null, 50, false, null],
    [100, null, 100, false, null],
    [100, null, 40, true, 40],
    [100, 40, 60, false, 40],
    [100, 40, 30, true, 30],
  ])('markDirty(flushed %s, dirty %s, ts %s) moves: %s, to %s', (flushedUntil, dirtyFrom, ts, moved, after) => {
    const marks = { flushedUntil, dirtyFrom };
    expect(markDirty(marks, ts)).toBe(moved);
    expect(marks.dirtyFrom).toBe(after);
  });

  it.each([
    [null, null, null],
    [10, null, 10],
    [null, 20, 20],
    [30, 20, 20],
    [10, 20, 10],
  ])('earliestUnflushed(%s, %s) = %s', (dirty, pending, want) => {
    expect(earliestUnflushed(dirty, pending)).toBe(want);
  });
});
