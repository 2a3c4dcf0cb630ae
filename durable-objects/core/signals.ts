// A service's per-second signals (requests, errors, latency sketch) per route and for the whole
// service, kept in memory for the last minutes by the service's Durable Object (docs/apm.md).
import { LatencySketch, type SketchWire } from './sketch.ts';

export interface RouteSecond {
  count: number;
  errors: number;
  sketch: LatencySketch;
}

export interface WindowStats {
  requests: number;
  errors: number;
  /** errors / requests; 0 without requests. */
  errorRate: number;
  /** requests / windowSec: silent seconds count as zero. */
  rps: number;
  /** From the merged sketches of the window's seconds (never averaged); null without latencies. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Routes past `maxRoutes` in the window are counted under this one (the service's own cap's name). */
export { OTHER_ROUTE } from '../../protocol/apm.ts';
import { OTHER_ROUTE } from '../../protocol/apm.ts';

interface Slot {
  sec: number;
  total: RouteSecond;
  routes: Map<string, RouteSecond>;
}

// One minute's seconds merged (the live push's 1m/5m/15m windows merge 1,260 seconds otherwise).
// Blocks are built lazily by aggregate, dropped by any add into their minute, and used only while
// all 60 seconds are inside the window.
interface MinuteSlot {
  minute: number;
  total?: RouteSecond;
  routes: Map<string, RouteSecond>;
}

export interface SignalWindowOptions {
  /** How many seconds are kept (900 for 15 minutes). */
  seconds: number;
  /** Distinct routes kept per window; more fold into OTHER_ROUTE (memory: objects share an isolate). */
  maxRoutes?: number;
  /** Seconds this far past the last prune(nowSec) are refused (a client's clock in the future). */
  maxAheadSec?: number;
}

export class SignalWindow {
  private readonly seconds: number;
  private readonly maxRoutes: number;
  private readonly maxAheadSec: number;
  // A ring: second s lives in slots[s mod seconds] while slot.sec === s.
  private readonly slots: (Slot | undefined)[];
  private newest = -Infinity; // newest second accepted
  private clock = -Infinity; // latest nowSec given to prune()
  private readonly lastSeen = new Map<string, number>(); // route -> newest second with traffic
  // A ring like `slots`: minute m lives in minutes[m mod length] while its minute === m.
  private readonly minutes: (MinuteSlot | undefined)[];

  constructor(opts: SignalWindowOptions) {
    const { seconds, maxRoutes = 100, maxAheadSec = 60 } = opts;
    if (!Number.isSafeInteger(seconds) || seconds < 1) throw new RangeError(`seconds must be a positive integer, got ${seconds}`);
    if (!(maxRoutes >= 1)) throw new RangeError(`maxRoutes must be at least 1, got ${maxRoutes}`);
    this.seconds = seconds;
    this.maxRoutes = maxRoutes;
    this.maxAheadSec = maxAheadSec;
    this.slots = new Array(seconds);
    // More slots than minutes a window can hold whole, so two usable minutes never share one.
    this.minutes = new Array(Math.ceil(seconds / 60) + 1);
  }

  /** The newest second of the window: the later of the last prune's nowSec and the newest add. */
  private end(): number {
    return Math.max(this.clock, this.newest);
  }

  /**
   * Adds one second's requests of a route (several calls for the same second add up). Returns
   * false, recording nothing, for a second older than the window or more than maxAheadSec past
   * the last prune(nowSec). A malformed wire sketch throws SketchFormatError, also recording
   * nothing; counts that are not integers with 0 <= errors <= count throw RangeError.
   */
  add(second: number, route: string, count: number, errors: number, sketch: LatencySketch | SketchWire): boolean {
    if (!Number.isSafeInteger(second)) throw new RangeError(`second must be an integer (unix seconds), got ${second}`);
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(errors) || errors < 0 || errors > count) {
      throw new RangeError(`need integers 0 <= errors <= count, got errors ${errors}, count ${count}`);
    }
    if (second <= this.end() - this.seconds) return false;
    if (this.clock !== -Infinity && second > this.clock + this.maxAheadSec) return false;
    // Own copy: a caller's sketch stays theirs (clone shares the immutable bins, so it is cheap).
    const sk = sketch instanceof LatencySketch ? sketch.clone() : LatencySketch.fromWire(sketch);
    if (second > this.newest) this.newest = second;
    const name = this.lastSeen.has(route) || this.lastSeen.size < this.maxRoutes || route === OTHER_ROUTE ? route : OTHER_ROUTE;
    const at = mod(second, this.seconds);
    let slot = this.slots[at];
    if (slot?.sec !== second) {
      slot = { sec: second, total: { count: 0, errors: 0, sketch: new LatencySketch() }, routes: new Map() };
      this.slots[at] = slot;
    }
    const rs = slot.routes.get(name);
    if (rs) {
      rs.count += count;
      rs.errors += errors;
      rs.sketch.merge(sk);
    } else slot.routes.set(name, { count, errors, sketch: sk });
    slot.total.count += count;
    slot.total.errors += errors;
    slot.total.sketch.merge(sk);
    // The second changed for its route and so for the total: their minute blocks are stale.
    const ms = this.minutes[mod(Math.floor(second / 60), this.minutes.length)];
    if (ms?.minute === Math.floor(second / 60)) {
      ms.total = undefined;
      ms.routes.delete(name);
    }
    if (!(this.lastSeen.get(name)! >= second)) this.lastSeen.set(name, second);
    return true;
  }

  /** Stats over the seconds (nowSec - windowSec, nowSec], for the service or one route. */
  stats(nowSec: number, windowSec: number, route?: string): WindowStats {
    const { count: requests, errors, sketch } = this.aggregate(nowSec, windowSec, route);
    const p = (q: number) => (sketch.count === 0 ? null : sketch.quantile(q));
    return { requests, errors, errorRate: requests > 0 ? errors / requests : 0, rps: requests / windowSec, p50: p(0.5), p95: p(0.95), p99: p(0.99) };
  }

  /**
   * The seconds (nowSec - windowSec, nowSec] merged into one (a 1 m rollup row: toBytes its
   * sketch). The sketch is always a new object (it may share bins, which are never written in
   * place), so a caller may add to it without touching the window's cached minutes.
   */
  aggregate(nowSec: number, windowSec: number, route?: string): RouteSecond {
    if (!Number.isSafeInteger(windowSec) || windowSec < 1 || windowSec > this.seconds) {
      throw new RangeError(`windowSec must be an integer within [1, ${this.seconds}], got ${windowSec}`);
    }
    // A route without traffic in the window gets no blocks: the cache stays within lastSeen's routes.
    return this.merge(nowSec - windowSec + 1, nowSec, route, route === undefined || this.lastSeen.has(route));
  }

  /** Seconds [from, to] merged; with `blocks`, whole minutes inside the window from their cached blocks. */
  private merge(from: number, to: number, route: string | undefined, blocks: boolean): RouteSecond {
    let count = 0;
    let errors = 0;
    const sketches: LatencySketch[] = [];
    const edge = this.end() - this.seconds;
    const last = Math.min(to, this.end()); // no second past end() exists yet
    for (let s = from; s <= to; ) {
      let rs: RouteSecond | undefined;
      // A whole minute inside both the range and the window: its block instead of its 60 seconds.
      if (blocks && mod(s, 60) === 0 && s > edge && s + 59 <= last) {
        rs = this.block(s / 60, route);
        s += 60;
      } else rs = this.second(s++, route);
      if (!rs) continue;
      count += rs.count;
      errors += rs.errors;
      sketches.push(rs.sketch);
    }
    return { count, errors, sketch: LatencySketch.mergeAll(sketches) };
  }

  /** One second's signals (the live push); the service total without a route. Do not modify. */
  second(sec: number, route?: string): RouteSecond | undefined {
    const slot = this.slots[mod(sec, this.seconds)];
    if (slot?.sec !== sec || sec <= this.end() - this.seconds) return undefined;
    return route === undefined ? slot.total : slot.routes.get(route);
  }

  /** Minute m's merged block for the route (the total without one), built on first use. */
  private block(m: number, route: string | undefined): RouteSecond {
    const at = mod(m, this.minutes.length);
    let ms = this.minutes[at];
    if (ms?.minute !== m) this.minutes[at] = ms = { minute: m, routes: new Map() };
    let b = route === undefined ? ms.total : ms.routes.get(route);
    if (b) return b;
    b = this.merge(m * 60, m * 60 + 59, route, false);
    if (route === undefined) ms.total = b;
    else ms.routes.set(route, b);
    return b;
  }

  /** Routes with traffic in the window, sorted (OTHER_ROUTE among them once routes overflowed). */
  routes(): string[] {
    const edge = this.end() - this.seconds;
    return [...this.lastSeen].filter(([, s]) => s > edge).map(([r]) => r).sort();
  }

  /** Moves the window's end to nowSec (never back) and drops what fell out of it. */
  prune(nowSec: number): void {
    if (nowSec > this.clock) this.clock = nowSec;
    const edge = this.end() - this.seconds;
    for (let k = 0; k < this.slots.length; k++) if (this.slots[k] && this.slots[k]!.sec <= edge) this.slots[k] = undefined;
    let gone = false;
    for (const [r, s] of this.lastSeen) if (s <= edge) gone = this.lastSeen.delete(r);
    // Minutes with a second out of the window are never used again; a gone route's blocks neither.
    for (let k = 0; k < this.minutes.length; k++) {
      const ms = this.minutes[k];
      if (ms && ms.minute * 60 <= edge) this.minutes[k] = undefined;
      else if (ms && gone) for (const r of ms.routes.keys()) if (!this.lastSeen.has(r)) ms.routes.delete(r);
    }
  }
}

function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}
