// Work that must run while nothing arrives (a service's anomaly scores without traffic,
// docs/anomalies.md), from an in-memory timer rather than the storage alarm: an alarm is a billed
// request plus a billed setAlarm each time, and objects started together ring together. The timer
// fires `intervalMs` after the last arm(), then as often as the work asks (its return value), and
// none is left set once the work says there is nothing more to do, so an idle object can
// hibernate. Cheap under traffic: arm() only moves the deadline; the one timer set checks it when
// it fires and waits the rest (one setTimeout per interval, not one per batch). Timers are lost
// when the object is evicted: the owner keeps a far storage alarm as the backstop. Pure: the clock
// and timers are given (./push-pacer.ts's PacerClock), so tests drive it with fake time.
import { systemClock, type PacerClock } from './push-pacer.ts';

export class SilenceTimer {
  private timer: unknown = null;
  /** When the set timer fires (it may be before the deadline: it then waits the rest). */
  private timerAt = 0;
  private deadline: number | null = null;
  private runs = 0;

  /**
   * `work(now)` does the job at its deadline and returns when it must run again (epoch ms), or
   * null when nothing more is needed. It must not throw (the owner logs its own errors).
   */
  constructor(
    private readonly work: (now: number) => number | null,
    private readonly clock: PacerClock = systemClock,
    readonly intervalMs: number,
  ) {}

  /** Something arrived (or the object started) at `now`: the work runs at `at` (intervalMs later by default), not before. */
  arm(now: number, at = now + this.intervalMs): void {
    this.deadline = at;
    // A timer already set for an earlier moment stays: it checks the deadline when it fires.
    if (this.timer !== null && this.timerAt <= at) return;
    this.cancelTimer();
    this.set(now, at - now);
  }

  /** Nothing to do any more: no timer stays set. */
  stop(): void {
    this.deadline = null;
    this.cancelTimer();
  }

  /** When the work runs next, or null (idle: no timer set). */
  dueAt(): number | null {
    return this.deadline;
  }

  /** A timer is set. */
  armed(): boolean {
    return this.timer !== null;
  }

  /** How often the work ran (for tests and debug views). */
  count(): number {
    return this.runs;
  }

  private cancelTimer() {
    if (this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  // A timer may fire a little early on a coarse clock: it then waits the rest (at least 1 ms).
  private set(now: number, ms: number) {
    const wait = Math.max(1, ms);
    this.timerAt = now + wait;
    this.timer = this.clock.setTimeout(() => this.fire(), wait);
  }

  private fire() {
    this.timer = null;
    if (this.deadline === null) return;
    const now = this.clock.now();
    if (now < this.deadline) return this.set(now, this.deadline - now);
    this.deadline = null;
    this.runs++;
    const next = this.work(now);
    // The work may have armed it again itself; otherwise its answer sets the next run.
    if (next !== null && this.deadline === null) this.arm(now, Math.max(next, now + 1));
  }
}
