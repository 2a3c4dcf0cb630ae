// Rollups of a service's per-second aggregates: per bucket, per route and for the whole service
// (route ''), each with its merged latency sketch. Pure, so it tests without a runtime.
import type { RouteSecondWire } from '../../protocol/apm.ts';
import { LatencySketch } from './sketch.ts';

export interface ServiceRollupRow {
  route: string;
  /** Bucket start, epoch ms. */
  bucket: number;
  requests: number;
  errors: number;
  sketch: LatencySketch;
}

/** The whole service's row of a bucket. */
export const SERVICE_TOTAL = '';

/** Buckets of `widthSec` seconds over [fromSec, toSec): every route's rows and the service total. */
export function rollupEntries(entries: Iterable<RouteSecondWire>, widthSec: number, fromSec: number, toSec: number): ServiceRollupRow[] {
  const rows = new Map<string, ServiceRollupRow>();
  const row = (route: string, bucket: number) => {
    const key = `${bucket}\u0000${route}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { route, bucket, requests: 0, errors: 0, sketch: new LatencySketch() }));
    return r;
  };
  for (const e of entries) {
    if (e.sec < fromSec || e.sec >= toSec) continue;
    const bucket = Math.floor(e.sec / widthSec) * widthSec * 1000;
    for (const r of [row(e.route, bucket), row(SERVICE_TOTAL, bucket)]) {
      r.requests += e.count;
      r.errors += e.errors;
      r.sketch.mergeWire(e.sketch);
    }
  }
  return [...rows.values()].sort((a, b) => a.bucket - b.bucket || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
}
