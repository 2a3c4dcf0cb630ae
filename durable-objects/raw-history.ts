// The raw tier's reads and rollup planning, shared by every object that keeps one (a host's
// samples, a service's custom series): bucketed history, the unflushed tail a rollup-tier read
// merges, and which minutes a flush writes.
import type { Sample } from '../protocol/ingest.ts';
import type { HistorySeries } from '../protocol/query.ts';
import type { Labels } from '../protocol/series.ts';
import { aggregate, floorTo, toRollupRows, type RollupRow } from './core/aggregate.ts';
import type { RawStore } from './raw-store.ts';

const MINUTE = 60_000;
const FIVE = 5 * MINUTE;

export interface TailBucket {
  ts: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

export interface TailSeries {
  labels: Labels;
  buckets: TailBucket[];
}

function metricSamples(raw: RawStore, metric: string, from: number, to: number): Sample[] {
  return raw.metricValues(metric, from, to).map(({ ts, value }) => ({ ts, metrics: { [metric]: value } }) as Sample);
}

/** Raw-tier history of one metric, bucketed by stepMs. */
export function rawHistory(raw: RawStore, metric: string, from: number, to: number, stepMs: number): HistorySeries[] {
  const start = floorTo(from, stepMs);
  const series = aggregate(metricSamples(raw, metric, start, to), stepMs, start, to, metric);
  return [...series.values()]
    .sort((a, b) => (a.labelsKey < b.labelsKey ? -1 : 1))
    .map((s) => ({
      labels: s.labels,
      points: [...s.buckets.entries()].sort((a, b) => a[0] - b[0]).map(([ts, a]) => ({ ts, min: a.min, avg: a.sum / a.count, max: a.max })),
    }));
}

/**
 * Raw-tier buckets, with sums and counts so they merge with rollup rows, for the samples not yet
 * flushed to Postgres: a history read on the rollup tiers adds these so it never lags.
 */
export function rawHistoryTail(raw: RawStore, flushedUntil: number | null, metric: string, from: number, to: number, stepMs: number): TailSeries[] {
  const start = Math.max(from, flushedUntil ?? 0);
  if (start >= to) return [];
  return [...aggregate(metricSamples(raw, metric, start, to), stepMs, start, to, metric).values()].map((s) => ({
    labels: s.labels,
    buckets: [...s.buckets.entries()].map(([ts, a]) => ({ ts, min: a.min, max: a.max, sum: a.sum, count: a.count })),
  }));
}

export interface RawFlush {
  /** Minutes [start, stop) get 1 m rows. */
  start: number;
  stop: number;
  rows1m: RollupRow[];
  /** The 5 m buckets this flush completes. */
  rows5m: RollupRow[];
}

/**
 * The rollups of complete minutes not yet flushed (and of any made dirty by late samples), before
 * `end`, recomputed from the raw tier; null when there is nothing to write. At most `maxSpanMs`
 * of raw time per flush, so catching up after an outage stays bounded (`stop < end`: more to do).
 */
export function planRawFlush(raw: RawStore, st: { flushedUntil: number | null; dirtyFrom: number | null }, end: number, maxSpanMs: number): RawFlush | null {
  const oldest = raw.minTs();
  if (oldest === null) return null;
  let start = st.flushedUntil ?? floorTo(oldest, MINUTE);
  if (st.dirtyFrom !== null) start = Math.min(start, floorTo(st.dirtyFrom, MINUTE));
  start = Math.max(start, floorTo(oldest, MINUTE));
  // An open 5 m bucket from the last flush must still be completed, even across a gap.
  const first5 = floorTo(start, FIVE);
  // Skip minutes with no samples (a source back after hours away), not one empty hour per flush.
  const next = raw.nextTs(start);
  if (next === null) return null;
  start = Math.max(start, floorTo(next, MINUTE));
  const stop = Math.min(end, start + maxSpanMs);
  if (start >= stop) return null;
  // 5 m buckets are written once complete; only a flush that completes one reads its 5 min.
  const end5 = floorTo(stop, FIVE);
  const need5 = end5 > first5;
  const samples = raw.range(need5 ? first5 : start, stop);
  return {
    start,
    stop,
    rows1m: toRollupRows(aggregate(samples, MINUTE, start, stop)),
    rows5m: need5 ? toRollupRows(aggregate(samples, FIVE, first5, end5)) : [],
  };
}
