// Which spans are stored (docs/traces.md, "Sampling"). Pure parts, shared by the worker and the
// service object:
// - a trace's level: the leading zero bits of a 32-bit hash of its id, the same everywhere, so
//   P(level >= L) = 2^-L and the traces kept at level L are a subset of those kept at L - 1 (a
//   trace kept by a service with a lower rate is kept by every service with a higher one);
// - the per-minute budget that picks a service's level so its sampled spans stay under a cap;
// - the per-route, per-minute top-k of the slowest server spans.
import { TRACE_SAMPLING } from '../../protocol/traces.ts';

/** FNV-1a over the id's characters, then murmur3's finalizer (ids need not be random). */
export function traceHash(traceId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A level from the id's traceHash (for a caller that has the hash already). */
export const levelOfHash = (hash: number): number => Math.clz32(hash);

/** 0..32: the trace is sampled wherever the service's level is at most this. */
export const traceLevel = (traceId: string): number => levelOfHash(traceHash(traceId));

/** Spans kept at `level` from a histogram of spans per trace level. */
export function keptAt(levels: readonly number[], level: number): number {
  let n = 0;
  for (let k = level; k < levels.length; k++) n += levels[k] ?? 0;
  return n;
}

/** The lowest level (highest rate) at which the histogram keeps at most `cap` spans. */
export function levelFor(levels: readonly number[], cap: number, from = 0): number {
  let level = from;
  while (level < TRACE_SAMPLING.maxLevel && keptAt(levels, level) > cap) level++;
  return level;
}

const LEVELS = TRACE_SAMPLING.maxLevel; // histogram slots 0..32

/**
 * A service's sampling budget per minute of arrival. The level starts each minute where the
 * previous minute's traffic would have fitted the cap (so it stays put while traffic is steady and
 * whole traces stay whole), and only rises within a minute when a batch would pass the cap or the
 * allowance (a bucket of `burst` spans refilled at the cap's rate): the cap holds exactly, at the
 * price of traces that straddle such a rise.
 */
export class SampleBudget {
  private minute = -1;
  private level = 0;
  private kept = 0;
  private offered = new Array<number>(LEVELS).fill(0);
  private allowance: number;
  private refilledAt = 0;

  constructor(
    private readonly cap: number = TRACE_SAMPLING.sampledSpansPerMinute,
    private readonly burst: number = Math.min(cap, TRACE_SAMPLING.sampleBurst),
  ) {
    this.allowance = burst;
  }

  /** The level for a batch whose spans fall in `levels`; the batch's kept spans count against the cap. */
  decide(levels: readonly number[], nowMs: number): number {
    const minute = Math.floor(nowMs / 60_000);
    if (minute !== this.minute) {
      // A quiet gap: start from the full rate again.
      this.level = minute === this.minute + 1 ? levelFor(this.offered, this.cap) : 0;
      this.minute = minute;
      this.kept = 0;
      this.offered = new Array<number>(LEVELS).fill(0);
    }
    for (let k = 0; k < LEVELS; k++) this.offered[k]! += levels[k] ?? 0;
    this.allowance = Math.min(this.burst, this.allowance + (Math.max(0, nowMs - this.refilledAt) * this.cap) / 60_000);
    this.refilledAt = nowMs;
    const room = Math.min(this.cap - this.kept, this.allowance);
    while (this.level < TRACE_SAMPLING.maxLevel && keptAt(levels, this.level) > room) this.level++;
    const kept = keptAt(levels, this.level);
    this.kept += kept;
    this.allowance -= kept;
    return this.level;
  }

  /** For tests and the object's debug answer. */
  state() {
    return { minute: this.minute, level: this.level, kept: this.kept };
  }
}

export interface SlowEntry {
  ms: number;
  spanId: string;
  traceId: string;
  /** Span end, epoch ms (exemplars are drawn at it). */
  endMs: number;
}

/**
 * The slowest spans per route and minute (of the span's end). A candidate is kept when it is among
 * the k slowest seen so far, so the k slowest of a minute are always among those kept (each was in
 * the top k when it arrived); spans later pushed out were kept too, at most one per candidate.
 */
export class SlowestPerMinute {
  private readonly minutes = new Map<number, Map<string, SlowEntry[]>>();

  constructor(
    private readonly k: number = TRACE_SAMPLING.slowestPerRouteMinute,
    /** Minutes kept: spans are accepted up to 15 minutes late and 5 ahead. */
    private readonly keepMinutes = 21,
  ) {}

  offer(minute: number, route: string, e: SlowEntry): boolean {
    let routes = this.minutes.get(minute);
    if (!routes) this.minutes.set(minute, (routes = new Map()));
    let top = routes.get(route);
    if (!top) routes.set(route, (top = []));
    if (top.some((t) => t.spanId === e.spanId && t.traceId === e.traceId)) return true; // an SDK's retry
    if (top.length >= this.k && e.ms <= top[top.length - 1]!.ms) return false;
    top.push(e);
    top.sort((a, b) => b.ms - a.ms);
    if (top.length > this.k) top.pop();
    return true;
  }

  prune(nowMs: number) {
    const oldest = Math.floor(nowMs / 60_000) - this.keepMinutes + 5;
    for (const m of this.minutes.keys()) if (m < oldest) this.minutes.delete(m);
  }

  /** The kept entries of minutes in [fromMin, toMin], optionally one route. */
  *entries(fromMin: number, toMin: number, route?: string): Iterable<SlowEntry & { route: string; minute: number }> {
    for (const [minute, routes] of this.minutes) {
      if (minute < fromMin || minute > toMin) continue;
      for (const [r, top] of routes) {
        if (route !== undefined && r !== route) continue;
        for (const e of top) yield { ...e, route: r, minute };
      }
    }
  }
}
