// The host-down watchdog's timing (durable-objects/host-watch.ts, docs/alerting.md "Host down").
// The watchdog ticks once a period and asks each streaming host to check itself, telling it how
// soon it will be asked again (`withinMs`). A host whose exact deadline (last frame + `for`)
// falls before that arms its own alarm at the deadline: one setAlarm per silence, none per
// sample. The period is `for` minus the silence threshold and the slack, so a host is asked at
// least once between S of silence and its deadline: the alert fires at exactly `for`, as on HTTP.

export interface WatchOptions {
  /** Never tick more often than this (each tick is a billed alarm and one billed request per host). */
  minPeriodMs: number;
  /** Never less often than this. */
  maxPeriodMs: number;
  /**
   * Silence threshold S: a host is asked to arm its own alarm only once its last frame is at
   * least this old (3 sample intervals of the agent's 5 s), so a healthy stream arms nothing.
   */
  silenceMs: number;
  /** How much later than `period` the next check may come (tick lateness, the fan-out's own time). */
  slackMs: number;
  /** Hosts asked per alarm invocation, under the platform's subrequest limit per invocation. */
  pageSize: number;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = { minPeriodMs: 10_000, maxPeriodMs: 60_000, silenceMs: 15_000, slackMs: 5_000, pageSize: 500 };

/** The check period for the tightest host-down `for` watched. */
export function watchPeriod(tightestForMs: number, o: WatchOptions = DEFAULT_WATCH_OPTIONS): number {
  return Math.min(o.maxPeriodMs, Math.max(o.minPeriodMs, tightestForMs - o.silenceMs - o.slackMs));
}

/** What a tick tells each host: it is asked again within this long. */
export function checkWithinMs(periodMs: number, o: WatchOptions = DEFAULT_WATCH_OPTIONS): number {
  return periodMs + o.slackMs;
}

/**
 * A host asked at `now`, with its exact host-down deadline (null: none pending): arm its own
 * alarm at the deadline when the next check may come too late for it.
 */
export function needsOwnAlarm(deadline: number | null, now: number, withinMs: number): boolean {
  return deadline !== null && deadline <= now + withinMs;
}

/**
 * The latest a host-down alert fires after a streaming host's last frame, for a rule with this
 * `for` when it is the organization's tightest, given ticks no later than the slack: `for` itself
 * (the host's own alarm). Below S + slack + the floor a tick may arm an alarm before S of silence
 * (more setAlarm calls, the same bound).
 */
export function downBoundMs(forMs: number): number {
  return forMs;
}
