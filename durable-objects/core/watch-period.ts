// The host-down watchdog's timing (durable-objects/host-watch.ts, docs/alerting.md "Host down").
// The watchdog asks each streaming host to check itself once the host's own period (from its own
// tightest `for`), telling it how soon it will be asked again (`withinMs`). A host whose exact deadline (last frame + `for`)
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
  /**
   * Watchdog shards for the whole fleet (objects `watch:0` .. `watch:<shards - 1>`), so their
   * alarms are shared by every host, not paid per organization. Raise it as the fleet grows
   * (docs/scaling.md "Host down"): a host re-registers with its new shard and answers `false` to
   * the old one, which drops it.
   */
  shards: number;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = { minPeriodMs: 10_000, maxPeriodMs: 60_000, silenceMs: 15_000, slackMs: 5_000, pageSize: 500, shards: 1 };

/** The object name of watchdog shard k. */
export const shardObjectName = (k: number) => `watch:${k}`;

/** The watchdog shard of a host object (`<tenant>:<host>`): a stable hash (32-bit FNV-1a) mod `shards`. */
export function watchShardName(hostObjectName: string, shards: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < hostObjectName.length; i++) h = Math.imul(h ^ hostObjectName.charCodeAt(i), 0x01000193);
  return shardObjectName((h >>> 0) % Math.max(1, Math.floor(shards)));
}

/**
 * How early a tick may ask a host before its own due time: a few due close together share one
 * alarm. Early is always safe (the host is told when it is asked next); a quarter of its period
 * at most, so a host's cadence stays its own.
 */
export function earlyMs(periodMs: number, o: WatchOptions = DEFAULT_WATCH_OPTIONS): number {
  return Math.min(o.slackMs, periodMs / 4);
}

/** A host's check period, from the tightest host-down `for` watching it. */
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
