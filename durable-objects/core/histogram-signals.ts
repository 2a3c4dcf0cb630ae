// Duration histograms to golden signals (issue #12, docs/apm.md "Metrics"): cumulative points of
// one series diffed into deltas, and a delta's buckets turned into latency sketch values. A
// sketch fed this way is only as accurate as the histogram's buckets: each bucket's requests get
// one representative value. Pure, so it tests without a runtime.
import type { HistogramCounts } from '../../protocol/apm-metrics.ts';
import { LatencySketch } from './sketch.ts';

type Explicit = Extract<HistogramCounts, { kind: 'explicit' }>;
type Exponential = Extract<HistogramCounts, { kind: 'exponential' }>;

const sumOf = (a: readonly number[]) => a.reduce((s, x) => s + x, 0);

/** Why a histogram point cannot be used (null when it can). Counts are what the decoders gave. */
export function checkHistogram(h: HistogramCounts, maxBuckets: number): string | null {
  const count = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!count(h.count)) return 'count is not a safe non-negative integer';
  if (h.sum !== null && !Number.isFinite(h.sum)) return 'sum is not finite';
  if (h.min !== null && !Number.isFinite(h.min)) return 'min is not finite';
  if (h.max !== null && !Number.isFinite(h.max)) return 'max is not finite';
  if (h.min !== null && h.max !== null && h.min > h.max) return 'min is above max';
  if (h.kind === 'explicit') {
    if (h.bounds.length > maxBuckets) return `more than ${maxBuckets} explicit bounds`;
    for (let i = 0; i < h.bounds.length; i++) {
      if (!Number.isFinite(h.bounds[i]!)) return 'explicit bounds must be finite';
      if (i > 0 && !(h.bounds[i]! > h.bounds[i - 1]!)) return 'explicit bounds must increase';
    }
    if (h.counts.length === 0) return null; // count and sum only
    if (h.counts.length !== h.bounds.length + 1) return `${h.counts.length} bucket counts for ${h.bounds.length} bounds (must be bounds + 1)`;
    if (!h.counts.every(count)) return 'bucket counts must be safe non-negative integers';
    if (sumOf(h.counts) !== h.count) return `count ${h.count} is not the sum of the bucket counts (${sumOf(h.counts)})`;
    return null;
  }
  if (!Number.isInteger(h.scale) || h.scale < -10 || h.scale > 20) return 'scale must be an integer from -10 to 20';
  if (h.positive.length > maxBuckets || h.negative.length > maxBuckets) return `more than ${maxBuckets} buckets on one side`;
  if (!count(h.zeroCount) || !h.positive.every(count) || !h.negative.every(count)) return 'bucket counts must be safe non-negative integers';
  const total = h.zeroCount + sumOf(h.positive) + sumOf(h.negative);
  if (total !== h.count) return `count ${h.count} is not zero_count plus the bucket counts (${total})`;
  return null;
}

/** The buckets of an exponential histogram at a lower scale (each bucket merges 2^by of them). */
function downscale(counts: readonly number[], offset: number, by: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < counts.length; i++) {
    if (!counts[i]) continue;
    const j = (offset + i) >> by; // arithmetic shift: floor, negative indices included
    out.set(j, (out.get(j) ?? 0) + counts[i]!);
  }
  return out;
}

/** cur - prev per bucket over cur's range; null when a bucket went down. */
function diffSide(prevCounts: readonly number[], prevOffset: number, by: number, cur: readonly number[], curOffset: number): number[] | null {
  const prev = downscale(prevCounts, prevOffset, by);
  const out = new Array<number>(cur.length);
  for (let i = 0; i < cur.length; i++) {
    const p = prev.get(curOffset + i) ?? 0;
    if (cur[i]! < p) return null;
    out[i] = cur[i]! - p;
    prev.delete(curOffset + i);
  }
  for (const v of prev.values()) if (v > 0) return null; // a bucket cur no longer has
  return out;
}

/**
 * The delta between two cumulative points of one series (same start time), or null when `cur`
 * cannot follow `prev`: a count went down or the explicit bounds changed (a reset). An
 * exponential histogram may have lowered its scale since (the SDK rescales as values spread):
 * `prev` is downscaled to `cur`'s scale first. min and max stay `cur`'s: lifetime bounds, still
 * bounds of the delta's values.
 */
export function diffHistogram(prev: HistogramCounts, cur: HistogramCounts): HistogramCounts | null {
  if (cur.count < prev.count) return null;
  const sum = cur.sum !== null && prev.sum !== null ? cur.sum - prev.sum : null;
  if (prev.kind === 'explicit' && cur.kind === 'explicit') {
    if (prev.bounds.length !== cur.bounds.length || prev.bounds.some((b, i) => b !== cur.bounds[i])) return null;
    if (cur.counts.length === 0 || prev.counts.length === 0) {
      if (cur.counts.length !== prev.counts.length) return null;
      return { ...cur, count: cur.count - prev.count, sum };
    }
    const counts = cur.counts.map((c, i) => c - prev.counts[i]!);
    if (counts.some((c) => c < 0)) return null;
    return { ...cur, counts, count: cur.count - prev.count, sum };
  }
  if (prev.kind === 'exponential' && cur.kind === 'exponential') {
    if (cur.scale > prev.scale || cur.zeroCount < prev.zeroCount) return null;
    const by = prev.scale - cur.scale;
    const positive = diffSide(prev.positive, prev.positiveOffset, by, cur.positive, cur.positiveOffset);
    const negative = diffSide(prev.negative, prev.negativeOffset, by, cur.negative, cur.negativeOffset);
    if (!positive || !negative) return null;
    return { ...cur, zeroCount: cur.zeroCount - prev.zeroCount, positive, negative, count: cur.count - prev.count, sum };
  }
  return null;
}

/** The value that stands for a bucket [lo, hi] (hi null: no upper bound known), within min/max. */
function representative(lo: number, hi: number | null, min: number | null, max: number | null): number {
  let a = lo;
  let b = hi;
  if (min !== null && min > a) a = min;
  if (max !== null && (b === null || max < b)) b = max;
  if (b === null) return a; // the overflow bucket without a max: its lower bound is all we know
  if (b < a) return hi === null ? lo : (lo + hi) / 2; // min/max disagree with the bucket: ignore them
  return (a + b) / 2;
}

function explicitValues(h: Explicit, add: (v: number, n: number) => void) {
  const n = h.bounds.length;
  for (let i = 0; i <= n; i++) {
    const c = h.counts[i]!;
    if (!c) continue;
    // Bucket i holds (bounds[i-1], bounds[i]]; durations are not negative, so the first starts at 0.
    const lo = i === 0 ? 0 : Math.max(0, h.bounds[i - 1]!);
    const hi = i === n ? null : Math.max(0, h.bounds[i]!);
    add(representative(lo, hi, h.min, h.max), c);
  }
}

function exponentialValues(h: Exponential, add: (v: number, n: number) => void) {
  if (h.zeroCount) add(0, h.zeroCount);
  const step = 2 ** -h.scale; // log2 of the base
  for (let i = 0; i < h.positive.length; i++) {
    const c = h.positive[i]!;
    if (!c) continue;
    // Bucket index k holds (base^k, base^(k+1)]: its geometric middle base^(k + 1/2), or that of
    // the part of it within [min, max].
    const k = h.positiveOffset + i;
    const lower = 2 ** (k * step);
    const upper = 2 ** ((k + 1) * step);
    const a = h.min !== null && h.min > lower ? h.min : lower;
    const b = h.max !== null && h.max < upper ? h.max : upper;
    add(b >= a && a > 0 ? Math.sqrt(a * b) : 2 ** ((k + 0.5) * step), c);
  }
  // Negative buckets are negative durations: counted as requests, no latency.
}

/** A latency sketch (ms) of a delta histogram's buckets: one representative value per bucket. */
export function histogramSketch(h: HistogramCounts, unitMs: number): LatencySketch {
  const sketch = new LatencySketch();
  const add = (v: number, n: number) => void sketch.add(v * unitMs, n);
  if (h.kind === 'explicit') {
    if (h.counts.length) explicitValues(h, add);
  } else exponentialValues(h, add);
  return sketch;
}
