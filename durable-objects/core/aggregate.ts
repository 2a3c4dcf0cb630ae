// Bucketed aggregation of samples: the one routine behind rollups (1m, 5m) and raw-tier history.
import type { Sample } from '../../protocol/ingest.ts';
import { labelsKey, type Labels } from '../../protocol/series.ts';

export interface Agg {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
}

export interface SeriesBuckets {
  metric: string;
  labels: Labels;
  labelsKey: string;
  buckets: Map<number, Agg>;
}

/** Calls fn for every (metric, labels, value) in a sample. */
export function forEachValue(sample: Sample, fn: (metric: string, labels: Labels, value: number) => void, only?: string): void {
  const entries = only !== undefined ? (only in sample.metrics ? [[only, sample.metrics[only]!] as const] : []) : Object.entries(sample.metrics);
  for (const [metric, v] of entries) {
    if (typeof v === 'number') fn(metric, {}, v);
    else for (const lv of v) fn(metric, lv.labels, lv.value);
  }
}

export function addToAgg(a: Agg | undefined, value: number, ts: number): Agg {
  if (!a) return { count: 1, sum: value, min: value, max: value, last: value, lastTs: ts };
  a.count++;
  a.sum += value;
  if (value < a.min) a.min = value;
  if (value > a.max) a.max = value;
  if (ts >= a.lastTs) {
    a.last = value;
    a.lastTs = ts;
  }
  return a;
}

/**
 * Aggregates the samples with from <= ts < to into epoch-aligned buckets of stepMs,
 * per series. `metric` limits the work to one metric.
 */
export function aggregate(samples: Iterable<Sample>, stepMs: number, from: number, to: number, metric?: string): Map<string, SeriesBuckets> {
  const out = new Map<string, SeriesBuckets>();
  for (const s of samples) {
    if (s.ts < from || s.ts >= to) continue;
    const bucket = Math.floor(s.ts / stepMs) * stepMs;
    forEachValue(
      s,
      (m, labels, value) => {
        const lk = labelsKey(labels);
        const key = `${m}\u0000${lk}`;
        let series = out.get(key);
        if (!series) out.set(key, (series = { metric: m, labels, labelsKey: lk, buckets: new Map() }));
        series.buckets.set(bucket, addToAgg(series.buckets.get(bucket), value, s.ts));
      },
      metric,
    );
  }
  return out;
}

export interface RollupRow {
  metric: string;
  labels: string;
  bucket: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

export function toRollupRows(series: Map<string, SeriesBuckets>): RollupRow[] {
  const rows: RollupRow[] = [];
  for (const s of series.values())
    for (const [bucket, a] of s.buckets)
      rows.push({ metric: s.metric, labels: s.labelsKey, bucket, count: a.count, sum: a.sum, min: a.min, max: a.max, last: a.last });
  return rows;
}

export const floorTo = (t: number, step: number) => Math.floor(t / step) * step;
