// Live pushes at most once per interval per object (so per subscriber, issue #12), and at the
// interval's mark when data is waiting: a change that arrives too soon after a push is sent by a
// timer set for the moment the next push may go out, not by the next batch (which may come up to
// a batch interval later) nor by the storage alarm (which local workerd may fire late). No timer
// is left set without waiting data, so an idle object can still hibernate. Pure: the clock and
// timers are given, so tests drive it with fake time.

export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: PacerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class PushPacer {
  private last = -Infinity;
  private timer: unknown = null;

  /**
   * `push(now)` sends what is waiting and says whether it sent anything; a call that sent
   * nothing is not a push (the next change may go out at once).
   */
  constructor(
    private readonly push: (now: number) => boolean,
    private readonly clock: PacerClock = systemClock,
    readonly intervalMs = 1000,
  ) {}

  /** When the last push went out (-Infinity before the first). */
  lastPush(): number {
    return this.last;
  }

  /** A timer is set for waiting data. */
  armed(): boolean {
    return this.timer !== null;
  }

  /** When the next push may go out. */
  dueAt(): number {
    return this.last + this.intervalMs;
  }

  /** Data is waiting at `now`: pushed now if an interval has passed since the last push, else by a timer at that mark. */
  offer(now: number): void {
    if (now - this.last >= this.intervalMs) {
      this.cancel();
      if (this.push(now)) this.last = now;
      return;
    }
    // A timer may fire a little early on a coarse clock: it then waits the rest (at least 1 ms).
    if (this.timer === null) this.timer = this.clock.setTimeout(() => this.fire(), Math.max(1, this.dueAt() - now));
  }

  /** Nothing is waiting any more (no subscribers): no timer stays set for it. */
  cancel(): void {
    if (this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private fire() {
    this.timer = null;
    this.offer(this.clock.now());
  }
}
