// The host-down watchdog's check period (durable-objects/host-watch.ts): the tightest host-down
// `for` among the organization's streaming hosts, held between a floor (each tick is a billed
// alarm and one billed request per host) and a ceiling (the default rule's 1 minute), so a silent
// open stream is caught within `for` plus one period: 2 minutes for the default rule.

export interface WatchOptions {
  /** Never tick more often than this (a rule with a `for` of a few seconds would pay for each tick). */
  minPeriodMs: number;
  /** Never less often than this. */
  maxPeriodMs: number;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = { minPeriodMs: 10_000, maxPeriodMs: 60_000 };

/** The check period for the tightest host-down `for` watched. */
export function watchPeriod(tightestForMs: number, o: WatchOptions = DEFAULT_WATCH_OPTIONS): number {
  return Math.min(o.maxPeriodMs, Math.max(o.minPeriodMs, tightestForMs));
}

/**
 * The latest a host-down alert fires after a streaming host's last sample arrived, for a rule
 * with this `for` when it is the organization's tightest: the first tick at or after the deadline.
 */
export function downBoundMs(forMs: number, o: WatchOptions = DEFAULT_WATCH_OPTIONS): number {
  return forMs + watchPeriod(forMs, o);
}
