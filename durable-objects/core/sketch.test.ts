import { describe, expect, it } from 'vitest';
import { DISTRIBUTIONS, sample, seededRandom } from './seeded.ts';
import {
  LatencySketch,
  SKETCH_MAX_BINS,
  SKETCH_MAX_INDEX,
  SKETCH_MAX_VALUE_MS,
  SKETCH_MIN_INDEX,
  SKETCH_RELATIVE_ACCURACY,
  SKETCH_ZERO_THRESHOLD_MS,
  SketchFormatError,
  sketchBinValue,
  sketchIndex,
  type SketchWire,
} from './sketch.ts';

// The exact quantile the sketch approximates: the nearest rank, ceil(q * n) (1-based).
const exact = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
const relErr = (got: number, want: number) => Math.abs(got - want) / want;
const QS = [0.5, 0.95, 0.99];
const GRID = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe('LatencySketch accuracy', () => {
  it.each(Object.keys(DISTRIBUTIONS))('%s: p50/p95/p99 and a q grid within 1 %% of exact, 5 seeds', (dist) => {
    let worst = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const values = sample(dist, 10_000, seed);
      const s = LatencySketch.fromValues(values);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [...QS, ...GRID]) {
        const e = relErr(s.quantile(q), exact(sorted, q));
        expect(e, `${dist} seed ${seed} q ${q}`).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
        worst = Math.max(worst, e);
      }
      expect(s.quantile(0)).toBe(sorted[0]);
      expect(s.quantile(1)).toBe(sorted[sorted.length - 1]);
      expect(s.count).toBe(values.length);
      expect(s.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 3);
    }
    // Only a constant is answered exactly (clamped to min = max); the rest really are buckets.
    if (dist === 'constant') expect(worst).toBe(0);
    else expect(worst).toBeGreaterThan(0);
  });

  it.each([
    ['one value', [7.5]],
    ['two values', [1, 1000]],
    ['seven values', [3, 1, 4, 1, 5, 9, 2.6]],
  ])('small samples (%s) stay within 1 %%', (_name, values) => {
    const s = LatencySketch.fromValues(values);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of GRID) expect(relErr(s.quantile(q), exact(sorted, q))).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
  });

  it('every bucket value lies in its own bucket, across the whole index range', () => {
    for (let i = SKETCH_MIN_INDEX; i <= SKETCH_MAX_INDEX; i++) expect(sketchIndex(sketchBinValue(i))).toBe(i);
  });

  it('values below 1 µs share the zero bucket: quantiles there are within 1 µs, never below min', () => {
    const r = seededRandom(9);
    const values = Array.from({ length: 3000 }, (_, k) => (k % 3 === 0 ? 1e-6 + 9e-4 * r() : 0.5 + r()));
    const s = LatencySketch.fromValues(values);
    const sorted = [...values].sort((a, b) => a - b);
    expect(s.zero).toBe(1000);
    for (const q of [0.01, 0.1, 0.3]) {
      expect(Math.abs(s.quantile(q) - exact(sorted, q))).toBeLessThan(SKETCH_ZERO_THRESHOLD_MS);
      expect(s.quantile(q)).toBeGreaterThanOrEqual(s.min);
    }
    for (const q of [0.34, 0.5, 0.99]) expect(relErr(s.quantile(q), exact(sorted, q))).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
  });
});

describe('LatencySketch add', () => {
  it.each([
    ['NaN', NaN],
    ['negative', -1],
    ['-Infinity', -Infinity],
    ['Infinity', Infinity],
  ])('ignores %s and says so', (_name, v) => {
    const s = new LatencySketch();
    expect(s.add(v)).toBe(false);
    expect(s.add(5)).toBe(true);
    expect(s.count).toBe(1);
    expect(s.min).toBe(5);
    expect(s.max).toBe(5);
  });

  it('clamps values above the ceiling and keeps -0 out of min', () => {
    const s = new LatencySketch();
    s.add(1e15);
    s.add(-0);
    expect(s.max).toBe(SKETCH_MAX_VALUE_MS);
    expect(Object.is(s.min, 0)).toBe(true);
    expect(s.quantile(1)).toBe(SKETCH_MAX_VALUE_MS);
    expect(s.quantile(0.5)).toBe(0); // rank ceil(0.5 * 2) = 1: the zero
  });

  it('add(v, n) equals n adds; n = 0 records nothing; a bad n throws', () => {
    const a = new LatencySketch();
    const b = new LatencySketch();
    a.add(12.3, 5);
    a.add(0.0001, 2);
    for (let k = 0; k < 5; k++) b.add(12.3);
    b.add(0.0001);
    b.add(0.0001);
    const { sum: sa, ...wa } = a.toWire();
    const { sum: sb, ...wb } = b.toWire();
    expect(wa).toEqual(wb);
    expect(sa).toBeCloseTo(sb, 12);
    expect(a.add(3, 0)).toBe(false);
    expect(a.count).toBe(7);
    for (const n of [-1, 1.5, NaN, Infinity]) expect(() => a.add(3, n)).toThrow(RangeError);
  });

  it.each([
    ['ascending', (v: number[]) => [...v].sort((a, b) => a - b)],
    ['descending', (v: number[]) => [...v].sort((a, b) => b - a)],
    ['extremes alternating', (v: number[]) => v.map((_, k) => (k % 2 ? v[k >> 1]! : v[v.length - 1 - (k >> 1)]!))],
  ])('bins count each index whatever the order of adds (%s), reads in between', (_name, order) => {
    const values = order(sample('everything', 2000, 31).sort((a, b) => a - b));
    const s = new LatencySketch();
    const want = new Map<number, number>();
    values.forEach((v, k) => {
      s.add(v);
      want.set(sketchIndex(v), (want.get(sketchIndex(v)) ?? 0) + 1);
      if (k % 500 === 0) s.quantile(0.5); // settles the adds so far
    });
    expect(s.toWire().bins).toEqual([...want].sort((a, b) => a[0] - b[0]).flat());
  });

  it('holds at most SKETCH_MAX_BINS (1,728) bins, and can hold all of them', () => {
    expect(SKETCH_MAX_BINS).toBe(1728); // docs/apm.md states this figure
    const s = LatencySketch.fromValues(sample('everything', 200_000, 3));
    expect(s.binCount).toBeLessThanOrEqual(SKETCH_MAX_BINS);
    const full = new LatencySketch();
    // The lowest bucket's value is just below the 1 µs floor; its members start at the floor.
    for (let i = SKETCH_MIN_INDEX; i <= SKETCH_MAX_INDEX; i++) full.add(Math.max(SKETCH_ZERO_THRESHOLD_MS, sketchBinValue(i)));
    full.add(1e20);
    expect(full.binCount).toBe(SKETCH_MAX_BINS);
    expect(LatencySketch.fromBytes(full.toBytes()).toWire()).toEqual(full.toWire());
  });
});

describe('LatencySketch merge', () => {
  // Parts of a stream merged any way give the bins of one sketch of the whole.
  const values = [...sample('lognormal', 4000, 11), ...sample('tiny', 300, 12), ...sample('pareto', 700, 13), 0, 0.0002];
  const whole = LatencySketch.fromValues(values);
  const cuts = [0, 1, 1, 900, 2500, 2501, 4999, values.length]; // includes empty and 1-value parts
  const parts = cuts.slice(1).map((end, k) => LatencySketch.fromValues(values.slice(cuts[k], end)));
  const same = (m: LatencySketch) => {
    const { sum, ...rest } = m.toWire();
    const { sum: wholeSum, ...wholeRest } = whole.toWire();
    expect(rest).toEqual(wholeRest);
    expect(sum).toBeCloseTo(wholeSum, 6); // float addition order differs; counts are exact
    for (const q of GRID) expect(m.quantile(q)).toBe(whole.quantile(q));
  };

  it.each([
    ['merge, in order', () => parts.reduce((acc, p) => (acc.merge(p), acc), new LatencySketch())],
    ['merge, reversed', () => [...parts].reverse().reduce((acc, p) => (acc.merge(p), acc), new LatencySketch())],
    ['mergeAll', () => LatencySketch.mergeAll(parts)],
    ['mergeAll of a generator', () => LatencySketch.mergeAll((function* () { yield* parts; })())],
    ['mergeWire', () => parts.reduce((acc, p) => (acc.mergeWire(p.toWire()), acc), new LatencySketch())],
    ['fromBytes then mergeAll', () => LatencySketch.mergeAll(parts.map((p) => LatencySketch.fromBytes(p.toBytes())))],
    ['tree of merges', () => {
      const left = LatencySketch.mergeAll(parts.slice(0, 3));
      const right = parts[3]!.clone();
      for (const p of parts.slice(4)) right.merge(p);
      left.merge(right);
      return left;
    }],
    ['adds interleaved with merges', () => {
      const m = new LatencySketch();
      for (const v of values.slice(0, 2500)) m.add(v);
      m.merge(LatencySketch.fromValues(values.slice(2500, 4000)));
      for (const v of values.slice(4000)) m.add(v);
      return m;
    }],
  ])('%s', (_name, build) => same(build()));

  it('merging a sketch into itself doubles it; clones are independent', () => {
    const a = LatencySketch.fromValues([1, 2, 3]);
    const c = a.clone();
    a.merge(a);
    expect(a.count).toBe(6);
    expect(a.toWire().bins.filter((_, k) => k % 2 === 1)).toEqual([2, 2, 2]);
    c.add(100);
    expect(a.max).toBe(3);
    expect(c.count).toBe(4);
    const d = c.clone();
    d.merge(LatencySketch.fromValues([50]));
    expect(c.count).toBe(4);
    expect(c.quantile(1)).toBe(100);
  });
});

describe('LatencySketch empty', () => {
  it('has count 0, sum 0, min Infinity, max -Infinity and NaN quantiles', () => {
    const s = new LatencySketch();
    expect([s.count, s.sum, s.min, s.max, s.binCount]).toEqual([0, 0, Infinity, -Infinity, 0]);
    for (const q of [0, 0.5, 1]) expect(s.quantile(q)).toBeNaN();
    expect(s.toBytes()).toEqual(new Uint8Array([1, 0, 0]));
    const back = LatencySketch.fromBytes(s.toBytes());
    expect(back.count).toBe(0);
    expect(back.min).toBe(Infinity);
  });

  it('merges as a no-op and mergeAll of nothing is empty', () => {
    const s = LatencySketch.fromValues([4, 5]);
    const before = s.toWire();
    s.merge(new LatencySketch());
    s.mergeWire(new LatencySketch().toWire());
    s.mergeWire(JSON.parse(JSON.stringify(new LatencySketch().toWire())) as SketchWire); // min/max null
    expect(s.toWire()).toEqual(before);
    expect(LatencySketch.mergeAll([]).count).toBe(0);
    expect(LatencySketch.mergeAll([new LatencySketch(), new LatencySketch()]).quantile(0.5)).toBeNaN();
  });

  it.each([-0.01, 1.01, NaN, Infinity])('rejects q = %s, empty or not', (q) => {
    expect(() => new LatencySketch().quantile(q)).toThrow(RangeError);
    expect(() => LatencySketch.fromValues([1]).quantile(q)).toThrow(/q must be within \[0, 1\]/);
  });
});

describe('LatencySketch bytes', () => {
  it.each(Object.keys(DISTRIBUTIONS))('%s: round trip is exact and compact', (dist) => {
    const s = LatencySketch.fromValues(sample(dist, 10_000, 21));
    const bytes = s.toBytes();
    const back = LatencySketch.fromBytes(bytes);
    expect(back.toWire()).toEqual(s.toWire()); // sum, min and max bit for bit
    expect(back.toBytes()).toEqual(bytes);
    // Index deltas take 1 byte, counts 1-2: a bin costs at most 3 bytes in a sketch like this.
    expect(bytes.length).toBeLessThanOrEqual(3 + 24 + 3 * s.binCount + 4);
    expect(bytes[0]).toBe(1);
  });

  it('reads from a Buffer that is a view into a larger allocation (pg bytea)', () => {
    const s = LatencySketch.fromValues(sample('bimodal', 500, 4));
    const bytes = s.toBytes();
    const big = Buffer.alloc(bytes.length + 17, 0xff);
    big.set(bytes, 9);
    expect(LatencySketch.fromBytes(big.subarray(9, 9 + bytes.length)).toWire()).toEqual(s.toWire());
  });

  it('bin counts stay exact past 2^31 (where the store widens from Int32 to Float64)', () => {
    const big = 2 ** 31 - 1;
    const a = new LatencySketch();
    a.add(3, big);
    a.binCount; // settled into 32-bit counts
    a.add(3, 5);
    const b = new LatencySketch();
    b.add(0, 7); // zero bucket only: b has no bins of its own
    b.merge(LatencySketch.fromValues([3]));
    b.merge(a);
    const c = LatencySketch.fromWire(a.toWire());
    c.merge(c);
    expect(a.toWire().bins).toEqual([sketchIndex(3), big + 5]);
    expect(b.toWire().bins).toEqual([sketchIndex(3), big + 6]);
    expect(c.toWire().bins).toEqual([sketchIndex(3), 2 * (big + 5)]);
    expect(LatencySketch.mergeAll([a, b, c]).toWire().bins).toEqual([sketchIndex(3), 4 * (big + 5) + 1]);
  });

  it('counts above 2^32 survive the varints', () => {
    const s = new LatencySketch();
    s.add(3, 2 ** 40 + 3);
    s.add(0, 2 ** 33);
    expect(LatencySketch.fromBytes(s.toBytes()).toWire()).toEqual(s.toWire());
  });

  const valid = LatencySketch.fromValues([0.0005, 1, 2, 300]).toBytes();
  const edit = (f: (b: Uint8Array, dv: DataView) => void) => {
    const b = valid.slice();
    f(b, new DataView(b.buffer));
    return b;
  };
  const floatsAt = valid.length - 24;
  const f64s = (...v: number[]) => {
    const dv = new DataView(new ArrayBuffer(8 * v.length));
    v.forEach((x, k) => dv.setFloat64(8 * k, x, true));
    return new Uint8Array(dv.buffer);
  };
  it.each([
    ['empty input', new Uint8Array(0), /empty input/],
    ['unknown version', edit((b) => (b[0] = 2)), /unknown version 2/],
    ['a trailing byte', new Uint8Array([...valid, 0]), /1 trailing bytes/],
    ['floats on an empty sketch', new Uint8Array([1, 0, 0, ...new Uint8Array(24)]), /24 trailing bytes/],
    ['a varint longer than 8 bytes', new Uint8Array([1, ...new Array(9).fill(0xff), 0]), /longer than 8 bytes/],
    ['a billion bins in 10 bytes', new Uint8Array([1, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0, 1, 0]), /bins cannot fit/],
    ['a bin with count 0', new Uint8Array([1, 0, 1, 0, 0]), /positive integer/],
    ['an index out of range', new Uint8Array([1, 0, 1, 0xa0, 0x1f, 1, ...f64s(1, 1, 1)]), /bin index 2000 outside/],
    ['indices not increasing', new Uint8Array([1, 0, 2, 2, 1, 0, 1, ...new Uint8Array(24)]), /increase strictly/],
    ['min above max', edit((_b, dv) => dv.setFloat64(floatsAt + 8, 500, true)), /min\/max/],
    ['NaN max', edit((_b, dv) => dv.setFloat64(floatsAt + 16, NaN, true)), /min\/max/],
    ['max outside the top bucket', edit((_b, dv) => dv.setFloat64(floatsAt + 16, 250, true)), /max 250 is not in the highest bucket/],
    ['min outside the zero bucket', edit((_b, dv) => dv.setFloat64(floatsAt + 8, 0.9, true)), /min 0.9 is not in the lowest bucket/],
    ['a wrong sum', edit((_b, dv) => dv.setFloat64(floatsAt, 1e6, true)), /sum/],
  ])('rejects %s', (_name, bytes, message) => {
    expect(() => LatencySketch.fromBytes(bytes)).toThrow(SketchFormatError);
    expect(() => LatencySketch.fromBytes(bytes)).toThrow(message);
  });

  it('rejects every truncation of a valid encoding', () => {
    const bytes = LatencySketch.fromValues(sample('lognormal', 1000, 5)).toBytes();
    for (let len = 0; len < bytes.length; len++) expect(() => LatencySketch.fromBytes(bytes.subarray(0, len)), `length ${len}`).toThrow(SketchFormatError);
  });

  it('random garbage either throws SketchFormatError or decodes to a sketch that re-encodes identically', () => {
    const r = seededRandom(77);
    const seed = LatencySketch.fromValues(sample('uniform', 50, 6)).toBytes();
    let decoded = 0;
    for (let k = 0; k < 3000; k++) {
      // Half random bytes after a right version byte, half a valid encoding with one byte flipped.
      const b = k % 2 ? Uint8Array.from({ length: 1 + Math.floor(r() * 60) }, (_, j) => (j === 0 ? 1 : Math.floor(r() * 256))) : seed.slice();
      if (k % 2 === 0) {
        const at = Math.floor(r() * b.length);
        b[at] = b[at]! ^ (1 << Math.floor(r() * 8));
      }
      try {
        const s = LatencySketch.fromBytes(b);
        expect(s.toBytes()).toEqual(b);
        decoded++;
      } catch (e) {
        expect(e).toBeInstanceOf(SketchFormatError);
      }
    }
    expect(decoded).toBeLessThan(3000);
  });

  it('rejects a value that is not a Uint8Array', () => {
    expect(() => LatencySketch.fromBytes([1, 0, 0] as unknown as Uint8Array)).toThrow(/expected a Uint8Array/);
  });
});

describe('LatencySketch wire', () => {
  const good = () => LatencySketch.fromValues([0.0001, 2, 2, 40]).toWire();
  it('round trips through structured clone', () => {
    const s = LatencySketch.fromValues(sample('pareto', 2000, 8));
    expect(LatencySketch.fromWire(structuredClone(s.toWire())).toWire()).toEqual(s.toWire());
  });

  it.each<[string, (w: SketchWire) => unknown, RegExp]>([
    ['not an object', () => null, /not an object/],
    ['bins not an array', (w) => ({ ...w, bins: 'x' }), /bins is not an array/],
    ['an odd bins length', (w) => ({ ...w, bins: [...w.bins, 5] }), /pairs/],
    ['a fractional index', (w) => ({ ...w, bins: [34.5, 2, ...w.bins.slice(2)] }), /bin index 34.5/],
    ['unsorted bins', (w) => ({ ...w, bins: [w.bins[2], w.bins[3], w.bins[0], w.bins[1]] }), /increase strictly/],
    ['a count that does not add up', (w) => ({ ...w, count: w.count + 1 }), /not the sum/],
    ['a negative zero count', (w) => ({ ...w, zero: -1, count: w.count - 2 }), /zero must be/],
    ['a string count', (w) => ({ ...w, count: String(w.count) }), /count must be/],
    ['min null on a non-empty sketch', (w) => ({ ...w, min: null }), /min\/max/],
    ['max too large for its bucket', (w) => ({ ...w, max: 4000 }), /highest bucket/],
  ])('rejects %s and leaves the target unchanged', (_name, mutate, message) => {
    const target = LatencySketch.fromValues([7, 8]);
    const before = target.toWire();
    const w = mutate(good()) as SketchWire;
    expect(() => target.mergeWire(w)).toThrow(SketchFormatError);
    expect(() => LatencySketch.fromWire(w)).toThrow(message);
    expect(target.toWire()).toEqual(before);
  });
});
