// When a service object flushes its signals' rollups, which minutes go and their rows (issue #12):
// recomputed from the stored batches, so a replay writes the same values. Pure: the object passes
// its store and flush marks and applies the result (ServiceObject.flush).
import { APM_LIMITS } from '../../protocol/apm.ts';
import { floorTo } from '../core/aggregate.ts';
import { earliestUnflushed } from '../core/flush-marks.ts';
import { traceHash } from '../core/trace-sampling.ts';
import { rollupEntries, type ServiceRollupRow } from '../core/service-rollup.ts';
import type { BatchStore } from './batch-store.ts';

const SEC = 1000;
const MINUTE = 60_000;
const FIVE = 5 * MINUTE;
/** A minute is flushed this long after it ends, for spans still in the SDKs' export queues. */
export const SERVICE_FLUSH_GRACE_MS = 10_000;
/**
 * Each object flushes up to this long after the grace, at an offset of its own: every service
 * object's rollups otherwise reach Postgres in the same second (:10 of each minute). Measured in
 * bench:apm, the ten objects' flush at once stalled the local runtime's thread for ~0.4 s (39
 * POSTs over 100 ms; docs/performance.md); in production it is every tenant's services at once.
 */
export const SERVICE_FLUSH_SPREAD_MS = 20_000;

/** An object's flush offset in [0, SERVICE_FLUSH_SPREAD_MS): stable, from its id. */
export function flushSpreadMs(objectId: string): number {
  return traceHash(objectId) % SERVICE_FLUSH_SPREAD_MS;
}

/** Batches stay this long past their flush: late spans (accepted for 15 min) recompute a 5 m bucket. */
const KEEP_BATCHES_MS = APM_LIMITS.acceptPastMs + FIVE;

/** The signals' next flush: after the minute of the earliest unflushed or dirty second, plus the grace. */
export function signalsFlushDueAt(dirtyFrom: number | null, pendingFrom: number | null): number | null {
  const base = earliestUnflushed(dirtyFrom, pendingFrom);
  return base === null ? null : floorTo(base, MINUTE) + MINUTE + SERVICE_FLUSH_GRACE_MS;
}

export interface ServiceFlushPlan {
  /** Every minute before this is written. */
  end: number;
  rows1m: ServiceRollupRow[];
  rows5m: ServiceRollupRow[];
}

/** The complete minutes not yet flushed (and the dirty ones) at `now`; null when there are none. */
export function planServiceFlush(store: BatchStore, pendingFrom: number | null, dirtyFrom: number | null, now: number): ServiceFlushPlan | null {
  const end = floorTo(now - SERVICE_FLUSH_GRACE_MS, MINUTE);
  let start = pendingFrom ?? end;
  if (dirtyFrom !== null) start = Math.min(start, dirtyFrom);
  start = floorTo(start, MINUTE);
  if (start >= end) return null;
  const first5 = floorTo(start, FIVE);
  const end5 = floorTo(end, FIVE);
  const entries = [...store.range(first5 / SEC, end / SEC)];
  const rows1m = rollupEntries(entries, 60, start / SEC, end / SEC);
  // 5 m buckets touched by this flush and complete by its end.
  const rows5m = end5 > first5 ? rollupEntries(entries, 300, first5 / SEC, end5 / SEC) : [];
  return { end, rows1m, rows5m };
}

/** The first second (epoch s) whose batches stay after a flush up to `flushedUntil`. */
export function keepBatchesFrom(flushedUntil: number, now: number): number {
  return Math.floor(Math.min(floorTo(flushedUntil, FIVE), now - KEEP_BATCHES_MS) / SEC);
}
