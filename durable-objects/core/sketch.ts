// Mergeable latency sketch (DDSketch-style log buckets) behind per-second service signals.
// Accuracy, bounds, empty behaviour and the byte format: docs/apm.md, "Latency sketch".
import { readSketchBytes, SketchFormatError, writeSketchBytes } from './sketch-codec.ts';

export { SketchFormatError };

/** Quantiles are within this relative error of the true value (values >= the zero threshold). */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
/** Values below this (1 µs) count in the zero bucket: absolute error < 1 µs instead of relative. */
export const SKETCH_ZERO_THRESHOLD_MS = 1e-3;
/** Values above this (~31.7 years) are clamped to it: they are clock errors, not latencies. */
export const SKETCH_MAX_VALUE_MS = 1e12;

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
const LN_GAMMA = Math.log(GAMMA);
// The bucket (gamma^(i-1), gamma^i] is represented by 2*gamma^i/(gamma+1): within a of every member.
const REP_FACTOR = 2 / (1 + GAMMA);

/** Bucket index of a value >= SKETCH_ZERO_THRESHOLD_MS. */
export function sketchIndex(valueMs: number): number {
  return Math.ceil(Math.log(valueMs) * INV_LN_GAMMA) | 0; // | 0: index 0, not -0
}
export const SKETCH_MIN_INDEX = sketchIndex(SKETCH_ZERO_THRESHOLD_MS);
export const SKETCH_MAX_INDEX = sketchIndex(SKETCH_MAX_VALUE_MS);
/**
 * The bin cap: the value range is bounded, so a sketch never has more bins than this (1,728).
 * DDSketch instead collapses its lowest bins past 2,048; with a 1 µs floor that would only start
 * above ~19,000 years, so a bounded range gives the same memory bound with no accuracy cliff.
 */
export const SKETCH_MAX_BINS = SKETCH_MAX_INDEX - SKETCH_MIN_INDEX + 1;

/** The value a bucket index stands for in quantiles. */
export function sketchBinValue(index: number): number {
  return Math.exp(index * LN_GAMMA) * REP_FACTOR;
}

/**
 * The structured-clone form for the worker -> Durable Object RPC. `bins` is flat
 * [index, count, index, count, ...] with strictly increasing indices; empty: min Infinity, max
 * -Infinity (null accepted too, for JSON).
 */
export type SketchWire = { bins: number[]; zero: number; count: number; sum: number; min: number; max: number };

// Bin counts fit Int32 while the sketch's total count does (8 B a bin instead of 16: the
// object's 15 minutes of per-second sketches); past 2^31 - 1 values they go to Float64.
type Bins = Int32Array | Float64Array;
const I32_MAX = 0x7fffffff;
const NO_BINS: Bins = new Int32Array(0);
const allocBins = (len: number, total: number): Bins => (total <= I32_MAX ? new Int32Array(len) : new Float64Array(len));
function toBins(src: ArrayLike<number>, total: number): Bins {
  if (src instanceof Float64Array || (src instanceof Int32Array && total <= I32_MAX)) return src; // bins are never written in place
  const b = allocBins(src.length, total);
  b.set(src);
  return b;
}

export class LatencySketch {
  // Settled bins, flat [index, count, ...] sorted by index (the wire layout); replaced, never
  // written in place, so clones share them.
  private bins: Bins = NO_BINS;
  // Adds since the last read go to a Map first: measured faster than inserting into sorted
  // arrays for 50-10,000 values (bench/sketch.ts); reads settle them into `bins`.
  private pending: Map<number, number> | null = null;
  private zeroCount = 0;
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;

  get count(): number {
    return this.n;
  }
  get sum(): number {
    return this.total;
  }
  /** Infinity when empty. */
  get min(): number {
    return this.lo;
  }
  /** -Infinity when empty. */
  get max(): number {
    return this.hi;
  }
  /** Values in the zero bucket (below SKETCH_ZERO_THRESHOLD_MS). */
  get zero(): number {
    return this.zeroCount;
  }
  /** Non-empty buckets, the zero bucket not counted. */
  get binCount(): number {
    this.settle();
    return this.bins.length / 2;
  }

  /**
   * Records `n` occurrences of a latency. NaN, negative and infinite values are ignored (returns
   * false); values above SKETCH_MAX_VALUE_MS are clamped to it. n must be a non-negative integer.
   */
  add(valueMs: number, n = 1): boolean {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`sketch add: n must be a non-negative integer, got ${n}`);
    if (!(valueMs >= 0) || valueMs === Infinity || n === 0) return false;
    const v = valueMs > SKETCH_MAX_VALUE_MS ? SKETCH_MAX_VALUE_MS : valueMs + 0; // + 0: no -0 as min
    if (v < SKETCH_ZERO_THRESHOLD_MS) this.zeroCount += n;
    else {
      const i = Math.ceil(Math.log(v) * INV_LN_GAMMA) | 0;
      const p = (this.pending ??= new Map());
      p.set(i, (p.get(i) ?? 0) + n);
    }
    this.n += n;
    this.total += v * n;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
    return true;
  }

  merge(other: LatencySketch): void {
    if (other.n === 0) return;
    other.settle();
    this.settle();
    this.bins = mergeFlat(this.bins, other.bins, this.n + other.n);
    this.absorb(other.zeroCount, other.n, other.total, other.lo, other.hi);
  }

  /** Merges a wire form (validated; throws SketchFormatError) without building a sketch from it. */
  mergeWire(w: SketchWire): void {
    checkWire(w);
    if (w.count === 0) return;
    this.settle();
    this.bins = mergeFlat(this.bins, w.bins, this.n + w.count);
    this.absorb(w.zero, w.count, w.sum, w.min, w.max);
  }

  /**
   * The nearest-rank quantile: the value at 1-based rank ceil(q * count) of the sorted values
   * (so the p99 of 4 requests is the slowest, not the third; a latency chart must not hide it), within
   * SKETCH_RELATIVE_ACCURACY (absolute 1 µs in the zero bucket), clamped to [min, max]; q = 0 and
   * q = 1 give min and max exactly. NaN when empty; RangeError for q outside [0, 1].
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`sketch quantile: q must be within [0, 1], got ${q}`);
    if (this.n === 0) return NaN;
    if (q === 0) return this.lo;
    if (q === 1) return this.hi;
    this.settle();
    const rank = Math.ceil(q * this.n) - 1; // 0-based index of the value wanted
    let seen = this.zeroCount;
    if (seen > rank) return this.clamp(0);
    const b = this.bins;
    for (let j = 0; j < b.length; j += 2) {
      seen += b[j + 1]!;
      if (seen > rank) return this.clamp(sketchBinValue(b[j]!));
    }
    return this.hi;
  }

  clone(): LatencySketch {
    this.settle();
    const c = new LatencySketch();
    c.bins = this.bins;
    c.absorb(this.zeroCount, this.n, this.total, this.lo, this.hi);
    return c;
  }

  toWire(): SketchWire {
    this.settle();
    return { bins: Array.from(this.bins), zero: this.zeroCount, count: this.n, sum: this.total, min: this.lo, max: this.hi };
  }

  static fromWire(w: SketchWire): LatencySketch {
    const s = new LatencySketch();
    s.mergeWire(w);
    return s;
  }

  toBytes(): Uint8Array {
    this.settle();
    return writeSketchBytes(this.bins, this.zeroCount, this.total, this.lo, this.hi);
  }

  /** Throws SketchFormatError for anything toBytes could not have produced. */
  static fromBytes(b: Uint8Array): LatencySketch {
    const d = readSketchBytes(b);
    checkParts(d.bins, d, 'sketch bytes');
    const s = new LatencySketch();
    if (d.count > 0) {
      s.bins = toBins(d.bins, d.count);
      s.absorb(d.zero, d.count, d.sum, d.min, d.max);
    }
    return s;
  }

  static fromValues(values: Iterable<number>): LatencySketch {
    const s = new LatencySketch();
    for (const v of values) s.add(v);
    return s;
  }

  /** One pass into a dense array over the union of indices: cheaper than pairwise merges. */
  static mergeAll(sketches: Iterable<LatencySketch>): LatencySketch {
    const out = new LatencySketch();
    const list: LatencySketch[] = [];
    let lowest = Infinity;
    let highest = -Infinity;
    for (const s of sketches) {
      if (s.n === 0) continue;
      s.settle();
      list.push(s);
      out.absorb(s.zeroCount, s.n, s.total, s.lo, s.hi);
      const b = s.bins;
      if (b.length === 0) continue;
      if (b[0]! < lowest) lowest = b[0]!;
      if (b[b.length - 2]! > highest) highest = b[b.length - 2]!;
    }
    if (list.length === 1) out.bins = list[0]!.bins;
    else if (highest >= lowest) {
      const dense = new Float64Array(highest - lowest + 1);
      let used = 0;
      for (const s of list) {
        const b = s.bins;
        for (let j = 0; j < b.length; j += 2) {
          const k = b[j]! - lowest;
          if (dense[k] === 0) used++;
          dense[k]! += b[j + 1]!;
        }
      }
      const bins = allocBins(used * 2, out.n);
      for (let k = 0, o = 0; k < dense.length; k++) {
        if (dense[k] !== 0) {
          bins[o++] = k + lowest;
          bins[o++] = dense[k]!;
        }
      }
      out.bins = bins;
    }
    return out;
  }

  private absorb(zero: number, n: number, sum: number, lo: number, hi: number): void {
    this.zeroCount += zero;
    this.n += n;
    this.total += sum;
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
  }

  private clamp(v: number): number {
    return v < this.lo ? this.lo : v > this.hi ? this.hi : v;
  }

  private settle(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    const keys = new Int32Array(p.size); // filled by for-of: Int32Array.from(iterator) measured 2.6x slower
    let k = 0;
    for (const i of p.keys()) keys[k++] = i;
    keys.sort();
    const add = allocBins(keys.length * 2, this.n);
    for (let j = 0; j < keys.length; j++) {
      add[2 * j] = keys[j]!;
      add[2 * j + 1] = p.get(keys[j]!)!;
    }
    this.bins = mergeFlat(this.bins, add, this.n);
  }
}

/** Linear merge of two flat sorted bin lists holding `total` values into a new one. */
function mergeFlat(a: Bins, b: ArrayLike<number>, total: number): Bins {
  if (b.length === 0) return toBins(a, total);
  if (a.length === 0) return toBins(b, total);
  const out = allocBins(a.length + b.length, total);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length) {
    const ka = a[i]!;
    const kb = b[j]!;
    out[o++] = ka <= kb ? ka : kb;
    out[o++] = (ka <= kb ? a[i + 1]! : 0) + (kb <= ka ? b[j + 1]! : 0);
    if (ka <= kb) i += 2;
    if (kb <= ka) j += 2;
  }
  while (i < a.length) out[o++] = a[i++]!;
  while (j < b.length) out[o++] = b[j++]!;
  return o === out.length ? out : out.slice(0, o);
}

function checkWire(w: SketchWire): void {
  if (typeof w !== 'object' || w === null) throw new SketchFormatError('sketch wire: not an object');
  if (!Array.isArray(w.bins)) throw new SketchFormatError('sketch wire: bins is not an array');
  if (w.count === 0 && w.bins.length === 0 && w.zero === 0) return; // empty; min/max/sum unused
  checkParts(w.bins, w, 'sketch wire');
}

/** The invariants a sketch keeps; shared by fromWire/mergeWire and fromBytes. */
function checkParts(bins: ArrayLike<number>, w: Omit<SketchWire, 'bins'>, where: string): void {
  const fail = (m: string): never => {
    throw new SketchFormatError(`${where}: ${m}`);
  };
  const { zero, count, sum, min, max } = w;
  if (!Number.isSafeInteger(zero) || zero < 0) fail(`zero must be a non-negative integer, got ${zero}`);
  if (!Number.isSafeInteger(count) || count < 0) fail(`count must be a non-negative integer, got ${count}`);
  if (bins.length % 2 !== 0) fail('bins must hold index/count pairs');
  if (bins.length / 2 > SKETCH_MAX_BINS) fail(`more than ${SKETCH_MAX_BINS} bins`);
  let total = zero;
  let prev = -Infinity;
  for (let j = 0; j < bins.length; j += 2) {
    const i = bins[j]!;
    const c = bins[j + 1]!;
    if (!Number.isInteger(i) || i < SKETCH_MIN_INDEX || i > SKETCH_MAX_INDEX) fail(`bin index ${i} outside [${SKETCH_MIN_INDEX}, ${SKETCH_MAX_INDEX}]`);
    if (i <= prev) fail('bin indices must increase strictly');
    if (!Number.isSafeInteger(c) || c < 1) fail(`bin count must be a positive integer, got ${c}`);
    prev = i;
    total += c;
  }
  if (total !== count) fail(`count ${count} is not the sum of the buckets (${total})`);
  if (count === 0) return;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && min <= max && max <= SKETCH_MAX_VALUE_MS)) fail(`min/max must satisfy 0 <= min <= max <= ${SKETCH_MAX_VALUE_MS}, got ${min}/${max}`);
  // min and max lie in the lowest and highest non-empty buckets (±1: another engine's Math.log).
  const near = (v: number, i: number) => v >= SKETCH_ZERO_THRESHOLD_MS && Math.abs(sketchIndex(v) - i) <= 1;
  if (zero > 0 ? !(min < SKETCH_ZERO_THRESHOLD_MS) : !near(min, bins[0]!)) fail(`min ${min} is not in the lowest bucket`);
  if (bins.length === 0 ? !(max < SKETCH_ZERO_THRESHOLD_MS) : !near(max, bins[bins.length - 2]!)) fail(`max ${max} is not in the highest bucket`);
  // Float sums of many merges drift a little; 1e-6 is far above that and far below a wrong field.
  if (!(Number.isFinite(sum) && sum >= count * min * (1 - 1e-6) && sum <= count * max * (1 + 1e-6))) fail(`sum ${sum} outside count * [min, max]`);
}
