// Live pushes at most once per interval per object (so per subscriber, issue #12), and at the
// interval's mark when data is waiting: a change that arrives too soon after a push is sent by a
// timer set for the moment the next push may go out, not by the next batch (which may come up to
// a batch interval later) nor by the storage alarm (which local workerd may fire late). No timer
// is left set without waiting data, so an idle object can still hibernate. Pure: the clock and
// timers are given, so tests drive it with fake time.
//
// Pushes keep to a one-second grid: the next mark is a second after the last push's mark, not
// after the moment it went out. A timer that fires a few ms late (the runtime's thread was busy)
// then does not push every later mark back by as much: measured, such drift made the pushes
// ~1,003 ms apart on average under bench:apm, and every ms past 1 s is added to the live delay
// of the POSTs that land right after a push (docs/performance.md, "Live p99"). A push more than
// `maxSlipMs` past its mark starts a new grid, so two pushes are never closer than
// interval - maxSlipMs (950 ms), and there is never more than one push per mark.

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
  /** The grid mark the last push stands for (at most maxSlipMs before it went out). */
  private mark = -Infinity;
  private timer: unknown = null;

  /**
   * `push(now)` sends what is waiting and says whether it sent anything; a call that sent
   * nothing is not a push (the next change may go out at once).
   */
  constructor(
    private readonly push: (now: number) => boolean,
    private readonly clock: PacerClock = systemClock,
    readonly intervalMs = 1000,
    readonly maxSlipMs = 50,
  ) {}

  /** When the last push went out (-Infinity before the first). */
  lastPush(): number {
    return this.last;
  }

  /** A timer is set for waiting data. */
  armed(): boolean {
    return this.timer !== null;
  }

  /** When the next push may go out: the mark an interval after the last push's. */
  dueAt(): number {
    return this.mark + this.intervalMs;
  }

  /** Data is waiting at `now`: pushed now if the next mark has come, else by a timer at that mark. */
  offer(now: number): void {
    const due = this.dueAt();
    if (now >= due) {
      this.cancel();
      if (this.push(now)) {
        this.last = now;
        this.mark = now - due <= this.maxSlipMs ? due : now;
      }
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
