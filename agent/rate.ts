// The one place where monotonically increasing kernel counters become deltas and per-second rates.
// A counter that goes backwards (32-bit wrap, reboot, driver reset) yields no value for that
// interval instead of a bogus spike; the new reading becomes the baseline for the next interval.

export interface Delta {
  delta: number;
  dtMs: number;
}

export class RateTracker {
  private last = new Map<string, { v: number; t: number }>();
  private seen = new Set<string>();

  /** Increase since the previous reading of `key`, or undefined on the first reading, after a reset, or when no time passed. */
  delta(key: string, value: number, tMs: number): Delta | undefined {
    const prev = this.last.get(key);
    this.last.set(key, { v: value, t: tMs });
    this.seen.add(key);
    if (!prev || !Number.isFinite(value)) return undefined;
    const dtMs = tMs - prev.t;
    const delta = value - prev.v;
    if (dtMs <= 0 || delta < 0) return undefined;
    return { delta, dtMs };
  }

  /** Per-second rate of `key`; same undefined cases as delta(). */
  rate(key: string, value: number, tMs: number): number | undefined {
    const d = this.delta(key, value, tMs);
    return d ? (d.delta * 1000) / d.dtMs : undefined;
  }

  /** Forget keys not read since the previous sweep, so vanished devices and interfaces don't accumulate. */
  sweep(): void {
    for (const k of this.last.keys()) if (!this.seen.has(k)) this.last.delete(k);
    this.seen.clear();
  }

  get size(): number {
    return this.last.size;
  }
}
