// Fake time for the tests of durable-objects/core's timer classes (push-pacer.ts,
// silence-timer.ts): timers run when the clock is advanced past them, in order.
import type { PacerClock } from '../durable-objects/core/push-pacer.ts';

export class FakeClock implements PacerClock {
  readonly origin = 1_000_000;
  t = this.origin;
  /** Timers run this many ms before they are due (a coarse runtime clock). */
  early = 0;
  /** Per timer, how many ms late it runs (a busy thread); 0 when unset. */
  late: (() => number) | null = null;
  /** How many timers were set. */
  sets = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.sets++;
    this.timers.push({ at: this.t + ms - (ms > this.early ? this.early : 0) + (this.late?.() ?? 0), fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  pending = () => this.timers.length;
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
