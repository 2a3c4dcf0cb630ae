// Duration histograms to signals, with the official OpenTelemetry SDK as the oracle: the diff of
// two cumulative points equals the delta point the SDK makes of the same values (across an
// exponential histogram's rescale), and a sketch of the buckets answers each percentile within
// the bucket that holds the exact one.
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  type ExponentialHistogram,
  type Histogram,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { HistogramCounts } from '../../protocol/apm-metrics.ts';
import { checkHistogram, diffHistogram, histogramSketch } from './histogram-signals.ts';
import { sample } from './seeded.ts';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The semantic conventions' advised bounds for http.server.request.duration (seconds). */
const SEMCONV_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

function counts(rm: ResourceMetrics): HistogramCounts {
  const m = rm.scopeMetrics[0]!.metrics[0]!;
  const p = m.dataPoints[0]!;
  if (m.dataPointType === DataPointType.HISTOGRAM) {
    const h = p.value as Histogram;
    return { kind: 'explicit', bounds: h.buckets.boundaries, counts: h.buckets.counts, count: h.count, sum: h.sum ?? null, min: h.min ?? null, max: h.max ?? null };
  }
  const h = p.value as ExponentialHistogram;
  return {
    kind: 'exponential',
    scale: h.scale,
    zeroCount: h.zeroCount,
    positiveOffset: h.positive.offset,
    positive: h.positive.bucketCounts,
    negativeOffset: h.negative.offset,
    negative: h.negative.bucketCounts,
    count: h.count,
    sum: h.sum ?? null,
    min: h.min ?? null,
    max: h.max ?? null,
  };
}

/** Records `batches` of values (seconds) into one histogram read by a cumulative and a delta reader. */
async function sdkPoints(kind: 'explicit' | 'exponential', batches: number[][]) {
  const cumulative = new Reader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const delta = new Reader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  const provider = new MeterProvider({
    readers: [cumulative, delta],
    views: kind === 'exponential' ? [{ instrumentName: 'http.server.request.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } } }] : [],
  });
  const h = provider.getMeter('test').createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: SEMCONV_BOUNDS } });
  const out: { cumulative: HistogramCounts; delta: HistogramCounts }[] = [];
  for (const values of batches) {
    for (const v of values) h.record(v, { 'http.route': '/a' });
    out.push({ cumulative: counts((await cumulative.collect()).resourceMetrics), delta: counts((await delta.collect()).resourceMetrics) });
  }
  return out;
}

/** Exponential buckets as index -> count at `scale` (downscaled when the point's scale is higher). */
function expBuckets(h: HistogramCounts, scale: number): Map<number, number> {
  if (h.kind !== 'exponential') throw new Error('not exponential');
  const out = new Map<number, number>();
  h.positive.forEach((c, i) => {
    if (!c) return;
    const j = (h.positiveOffset + i) >> (h.scale - scale);
    out.set(j, (out.get(j) ?? 0) + c);
  });
  return out;
}

const lowerRank = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

describe('diffHistogram', () => {
  it('explicit: the diff of two cumulative points is the SDK delta point', async () => {
    const [a, b] = await sdkPoints('explicit', [sample('lognormal', 500, 1).map((ms) => ms / 1000), sample('bimodal', 700, 2).map((ms) => ms / 1000)]);
    const d = diffHistogram(a!.cumulative, b!.cumulative)!;
    expect(d).not.toBeNull();
    if (d.kind !== 'explicit' || b!.delta.kind !== 'explicit') throw new Error('kind');
    expect(d.count).toBe(700);
    expect(d.counts).toEqual(b!.delta.counts);
    expect(d.sum).toBeCloseTo(b!.delta.sum!, 6);
  });

  it('exponential: the diff equals the delta point, across the SDK lowering its scale', async () => {
    // Narrow values first (a fine scale), then values over six decades: the cumulative point rescales.
    const [a, b] = await sdkPoints('exponential', [[0.1, 0.1001, 0.1002, 0.1003], sample('everything', 2000, 3).map((ms) => Math.max(1e-6, ms / 1e9))]);
    expect(b!.cumulative.kind === 'exponential' && a!.cumulative.kind === 'exponential' && b!.cumulative.scale < a!.cumulative.scale).toBe(true);
    const d = diffHistogram(a!.cumulative, b!.cumulative)!;
    expect(d).not.toBeNull();
    if (d.kind !== 'exponential' || b!.delta.kind !== 'exponential') throw new Error('kind');
    expect(d.count).toBe(2000);
    expect(d.zeroCount).toBe(b!.delta.zeroCount);
    const scale = Math.min(d.scale, b!.delta.scale);
    expect(expBuckets(d, scale)).toEqual(expBuckets(b!.delta, scale));
  });

  it('a count that went down, changed bounds or a higher exponential scale is a reset (null)', () => {
    const e = (counts: number[], bounds = [1, 2]): HistogramCounts => ({ kind: 'explicit', bounds, counts, count: counts.reduce((a, b) => a + b, 0), sum: null, min: null, max: null });
    expect(diffHistogram(e([1, 2, 3]), e([1, 3, 4]))).toMatchObject({ counts: [0, 1, 1], count: 2 });
    expect(diffHistogram(e([1, 2, 3]), e([2, 1, 4]))).toBeNull();
    expect(diffHistogram(e([1, 2, 3]), e([1, 2, 3], [1, 3]))).toBeNull();
    const x = (scale: number, offset: number, positive: number[]): HistogramCounts => ({
      kind: 'exponential', scale, zeroCount: 0, positiveOffset: offset, positive, negativeOffset: 0, negative: [], count: positive.reduce((a, b) => a + b, 0), sum: null, min: null, max: null,
    });
    expect(diffHistogram(x(1, 4, [1, 1]), x(2, 8, [1, 1, 1, 1]))).toBeNull();
    // Offsets may move: buckets are matched by index.
    expect(diffHistogram(x(1, 4, [1, 1]), x(1, 3, [2, 1, 3]))).toMatchObject({ positive: [2, 0, 2], count: 4 });
    // A bucket the new point no longer has is a reset.
    expect(diffHistogram(x(1, 4, [1, 1]), x(1, 5, [5]))).toBeNull();
    expect(diffHistogram(e([1, 2, 3]), x(1, 0, [6]))).toBeNull();
  });
});

describe('histogramSketch', () => {
  it('explicit (semconv seconds buckets): counts exact, each percentile within the bucket of the exact one', async () => {
    for (const [dist, seed] of [['lognormal', 11], ['bimodal', 12], ['uniform', 13], ['pareto', 14]] as const) {
      const values = sample(dist, 5000, seed).map((ms) => ms / 1000);
      const [p] = await sdkPoints('explicit', [values]);
      const s = histogramSketch(p!.delta, 1000);
      expect(s.count, dist).toBe(5000);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const exact = lowerRank(sorted, q);
        const i = SEMCONV_BOUNDS.findIndex((b) => exact <= b);
        const lo = i <= 0 ? (i === 0 ? 0 : SEMCONV_BOUNDS.at(-1)!) : SEMCONV_BOUNDS[i - 1]!;
        const hi = i === -1 ? Math.max(...values) : SEMCONV_BOUNDS[i]!;
        const got = s.quantile(q) / 1000;
        expect(got, `${dist} p${q * 100}`).toBeGreaterThanOrEqual(Math.max(lo, sorted[0]!) * 0.99);
        expect(got, `${dist} p${q * 100}`).toBeLessThanOrEqual(Math.min(hi, sorted.at(-1)!) * 1.01);
      }
    }
  });

  it('exponential: each percentile within one bucket width (plus the sketch 1 %) of the exact one', async () => {
    for (const [dist, seed] of [['lognormal', 21], ['everything', 22], ['bimodal', 23]] as const) {
      const values = sample(dist, 5000, seed).map((ms) => ms / 1000);
      const [p] = await sdkPoints('exponential', [values]);
      const h = p!.delta;
      if (h.kind !== 'exponential') throw new Error('kind');
      const base = 2 ** (2 ** -h.scale);
      const s = histogramSketch(h, 1000);
      expect(s.count, dist).toBe(5000);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.99]) {
        const exact = lowerRank(sorted, q) * 1000;
        expect(Math.abs(s.quantile(q) - exact) / exact, `${dist} p${q * 100} at scale ${h.scale}`).toBeLessThanOrEqual(base - 1 + 0.011);
      }
    }
  });

  it('min and max bound the representatives: one request is exact, the overflow bucket ends at max', () => {
    const one: HistogramCounts = { kind: 'explicit', bounds: SEMCONV_BOUNDS, counts: SEMCONV_BOUNDS.map(() => 0).concat(0), count: 1, sum: 0.0123, min: 0.0123, max: 0.0123 };
    if (one.kind === 'explicit') one.counts[2] = 1;
    expect(histogramSketch(one, 1000).quantile(0.5)).toBeCloseTo(12.3, 1);
    const over: HistogramCounts = { kind: 'explicit', bounds: [1, 2], counts: [0, 0, 3], count: 3, sum: null, min: 2.5, max: 4.5 };
    expect(histogramSketch(over, 1).quantile(1)).toBeCloseTo(3.5, 1);
    const noMax: HistogramCounts = { ...over, min: null, max: null };
    expect(histogramSketch(noMax, 1).quantile(1)).toBeCloseTo(2, 1); // only the lower bound is known
    // ms units (http.server.duration) and count-only points
    expect(histogramSketch({ ...over, bounds: [10, 20], min: null, max: 30 }, 1).quantile(0)).toBeCloseTo(25, 0);
    expect(histogramSketch({ kind: 'explicit', bounds: [], counts: [], count: 5, sum: 1, min: null, max: null }, 1000).count).toBe(0);
  });
});

describe('checkHistogram', () => {
  const ok: HistogramCounts = { kind: 'explicit', bounds: [1, 2], counts: [1, 0, 2], count: 3, sum: 4, min: 0.5, max: 3 };
  it.each<[string, HistogramCounts, RegExp | null]>([
    ['a good point', ok, null],
    ['count and sum only', { ...ok, counts: [] }, null],
    ['counts not bounds + 1', { ...ok, counts: [1, 2] }, /bounds \+ 1/],
    ['count not the sum', { ...ok, count: 4 }, /not the sum/],
    ['bounds not increasing', { ...ok, bounds: [2, 2] }, /increase/],
    ['infinite bound', { ...ok, bounds: [1, Infinity] }, /finite/],
    ['NaN sum', { ...ok, sum: NaN }, /sum/],
    ['min above max', { ...ok, min: 5, max: 1 }, /min/],
    ['too many bounds', { ...ok, bounds: Array.from({ length: 1001 }, (_, i) => i), counts: [] }, /more than 1000/],
    ['unsafe count', { ...ok, counts: [2 ** 60, 0, 0], count: 2 ** 60 }, /safe/],
    ['exponential scale', { kind: 'exponential', scale: 21, zeroCount: 0, positiveOffset: 0, positive: [], negativeOffset: 0, negative: [], count: 0, sum: null, min: null, max: null }, /scale/],
    ['exponential count', { kind: 'exponential', scale: 3, zeroCount: 1, positiveOffset: 0, positive: [2], negativeOffset: 0, negative: [1], count: 3, sum: null, min: null, max: null }, /zero_count/],
  ])('%s', (_, h, want) => {
    const got = checkHistogram(h, 1000);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
});
