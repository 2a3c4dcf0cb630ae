// Exact good/total counts of one SLO at three resolutions, so any window from seconds to 30 days
// is one short loop: per second for the last 15 minutes, per minute for the last 3 days and a
// bit, per hour for the last 31 days. A window is summed from the finest ring that covers it, as
// the buckets whose start lies in (now - window, now]; its far edge is exact to that ring's
// bucket (1 s up to 15 m, 1 min up to 3 d, 1 h beyond: docs/slo.md). Plain typed arrays: a
// 30-day status is ~800 additions.
import type { Counts } from './burn-rate.ts';

class Ring {
  private readonly good: Float64Array;
  private readonly total: Float64Array;
  private readonly stamp: Float64Array; // bucket index held by each slot; NaN = empty

  constructor(
    readonly bucketMs: number,
    readonly size: number,
  ) {
    this.good = new Float64Array(size);
    this.total = new Float64Array(size);
    this.stamp = new Float64Array(size).fill(NaN);
  }

  add(ms: number, good: number, total: number, nowMs: number) {
    const b = Math.floor(ms / this.bucketMs);
    if (b <= Math.floor(nowMs / this.bucketMs) - this.size) return; // older than the ring
    const at = ((b % this.size) + this.size) % this.size;
    if (this.stamp[at] !== b) {
      if (this.stamp[at]! > b) return; // a newer bucket holds the slot
      this.stamp[at] = b;
      this.good[at] = 0;
      this.total[at] = 0;
    }
    this.good[at]! += good;
    this.total[at]! += total;
  }

  sum(nowMs: number, windowMs: number): Counts {
    const last = Math.floor(nowMs / this.bucketMs);
    // Buckets starting after now - windowMs.
    const first = Math.floor((nowMs - windowMs) / this.bucketMs) + 1;
    let good = 0;
    let total = 0;
    for (let b = Math.max(first, last - this.size + 1); b <= last; b++) {
      const at = ((b % this.size) + this.size) % this.size;
      if (this.stamp[at] !== b) continue;
      good += this.good[at]!;
      total += this.total[at]!;
    }
    return { good, total };
  }
}

const SEC = 1000;
const MIN = 60_000;
const HOUR = 3600_000;
export const SECONDS_SPAN_MS = 15 * MIN;
export const MINUTES_SPAN_MS = 3 * 24 * HOUR + HOUR;
export const HOURS_SPAN_MS = 31 * 24 * HOUR;

export class SloCounts {
  private readonly seconds = new Ring(SEC, SECONDS_SPAN_MS / SEC);
  private readonly minutes = new Ring(MIN, MINUTES_SPAN_MS / MIN);
  private readonly hours = new Ring(HOUR, HOURS_SPAN_MS / HOUR);

  /** Requests that ended at `ms` (counted in all three rings). */
  add(ms: number, good: number, total: number, nowMs: number) {
    this.seconds.add(ms, good, total, nowMs);
    this.minutes.add(ms, good, total, nowMs);
    this.hours.add(ms, good, total, nowMs);
  }

  /** Restart: a stored minute's counts (the seconds ring is refilled from the stored batches). */
  addMinute(minuteMs: number, good: number, total: number, nowMs: number) {
    this.minutes.add(minuteMs, good, total, nowMs);
    this.hours.add(minuteMs, good, total, nowMs);
  }

  /** Restart: a stored second's counts, for the seconds ring only. */
  addSecond(ms: number, good: number, total: number, nowMs: number) {
    this.seconds.add(ms, good, total, nowMs);
  }

  sum(nowMs: number, windowMs: number): Counts {
    const ring = windowMs <= SECONDS_SPAN_MS ? this.seconds : windowMs <= MINUTES_SPAN_MS - HOUR ? this.minutes : this.hours;
    return ring.sum(nowMs, windowMs);
  }
}
