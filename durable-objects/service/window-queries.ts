// Read-only answers of a service object from its per-second window (15 minutes in memory) and
// its stored batches not yet flushed to Postgres (issue #12). Pure: the object passes its window,
// store and flush mark; nothing here changes state.
import type { LiveSecond, RouteRow, SignalPoint, SignalWindows } from '../../protocol/apm.ts';
import { floorTo } from '../core/aggregate.ts';
import type { SignalWindow } from '../core/signals.ts';
import { LatencySketch } from '../core/sketch.ts';
import type { BatchStore } from './batch-store.ts';

const SEC = 1000;
const FIVE = 5 * 60_000;

export interface TailRow {
  ts: number;
  route: string;
  requests: number;
  errors: number;
  sketch: Uint8Array;
}

const emptyPoint = (ts: number): SignalPoint => ({ ts, requests: 0, errors: 0, p50: null, p95: null, p99: null });

function pointOf(ts: number, requests: number, errors: number, sketch: LatencySketch | undefined): SignalPoint {
  if (!sketch || sketch.count === 0) return { ts, requests, errors, p50: null, p95: null, p99: null };
  return { ts, requests, errors, p50: sketch.quantile(0.5), p95: sketch.quantile(0.95), p99: sketch.quantile(0.99) };
}

/** One second as live subscribers get it: the service's point and each route's. */
export function liveSecond(window: SignalWindow, sec: number): LiveSecond {
  const total = window.second(sec);
  const routes = [];
  for (const route of window.routes()) {
    const r = window.second(sec, route);
    if (r) routes.push({ route, ...pointOf(sec * SEC, r.count, r.errors, r.sketch) });
  }
  return { ...(total ? pointOf(sec * SEC, total.count, total.errors, total.sketch) : emptyPoint(sec * SEC)), routes: routes.map(({ ts: _ts, ...rest }) => rest) };
}

export function signalWindows(window: SignalWindow, now: number): SignalWindows {
  const nowSec = Math.floor(now / SEC);
  return { '1m': window.stats(nowSec, 60), '5m': window.stats(nowSec, 300), '15m': window.stats(nowSec, 900) };
}

/** Requests per second of each of the last 15 minutes, oldest first. */
export function spark(window: SignalWindow, now: number): number[] {
  const nowSec = Math.floor(now / SEC);
  const out: number[] = [];
  for (let m = 14; m >= 0; m--) out.push(window.stats(nowSec - m * 60, 60).rps);
  return out;
}

/** Per-second tier: buckets of stepMs over [from, to) from the in-memory window. */
export function signalBuckets(window: SignalWindow, from: number, to: number, stepMs: number, route?: string): SignalPoint[] {
  const out: SignalPoint[] = [];
  for (let b = floorTo(from, stepMs); b < to; b += stepMs) {
    let requests = 0;
    let errors = 0;
    const sketch = new LatencySketch();
    for (let s = Math.ceil(Math.max(b, from) / SEC); s * SEC < Math.min(b + stepMs, to); s++) {
      const r = window.second(s, route);
      if (!r) continue;
      requests += r.count;
      errors += r.errors;
      sketch.merge(r.sketch);
    }
    out.push(pointOf(b, requests, errors, sketch));
  }
  return out;
}

/**
 * The not-yet-flushed tail for reads on a rollup tier: per bucket of stepMs (and per route when
 * `byRoute`), counts and the merged sketch's bytes, for the data the tier's Postgres rows do not
 * hold yet (5 m rows are written only once their bucket is complete). The worker merges these
 * with the rows of the same buckets.
 */
export function unflushedTail(
  store: BatchStore,
  flushedUntil: number | null,
  from: number,
  to: number,
  stepMs: number,
  tier: '1m' | '5m',
  opts: { route?: string; byRoute?: boolean },
): TailRow[] {
  const flushed = flushedUntil ?? 0;
  const start = Math.max(from, tier === '5m' ? floorTo(flushed, FIVE) : flushed);
  if (start >= to) return [];
  const buckets = new Map<string, { ts: number; route: string; requests: number; errors: number; sketch: LatencySketch }>();
  for (const e of store.range(Math.ceil(start / SEC), Math.ceil(to / SEC))) {
    if (opts.route !== undefined && e.route !== opts.route) continue;
    const ts = floorTo(e.sec * SEC, stepMs);
    const route = opts.byRoute ? e.route : (opts.route ?? '');
    const key = `${ts}\u0000${route}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { ts, route, requests: 0, errors: 0, sketch: new LatencySketch() }));
    b.requests += e.count;
    b.errors += e.errors;
    b.sketch.mergeWire(e.sketch);
  }
  return [...buckets.values()].map((b) => ({ ts: b.ts, route: b.route, requests: b.requests, errors: b.errors, sketch: b.sketch.toBytes() }));
}

/** The per-route table over [from, to) (within the per-second window). */
export function routeTable(window: SignalWindow, from: number, to: number): RouteRow[] {
  const fromSec = Math.ceil(from / SEC);
  const toSec = Math.ceil(to / SEC);
  const rows: RouteRow[] = [];
  for (const route of window.routes()) {
    let requests = 0;
    let errors = 0;
    const sketch = new LatencySketch();
    for (let s = fromSec; s < toSec; s++) {
      const r = window.second(s, route);
      if (!r) continue;
      requests += r.count;
      errors += r.errors;
      sketch.merge(r.sketch);
    }
    if (requests === 0) continue;
    const p = pointOf(0, requests, errors, sketch);
    rows.push({ route, requests, errors, errorRate: errors / requests, rps: requests / ((toSec - fromSec) || 1), p50: p.p50, p95: p.p95, p99: p.p99 });
  }
  return rows.sort((a, b) => b.requests - a.requests);
}
