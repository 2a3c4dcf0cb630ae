// npm run bench:sketch
// Micro-benchmark of the latency sketch and the signal window (durable-objects/core), no stack:
// the store choice behind add (Map vs sorted arrays vs a dense array), add / merge / serialize
// costs, accuracy over 20 seeds, bytes for 10,000 values, and the memory and stats cost of 900 s
// of per-second sketches. Figures go to docs/apm.md, "Latency sketch".
// Last line: sketch: add <ns> ns/value, mergeAll of 900 <ms> ms, toBytes <us> us, 10k lognormal values <B> B
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DISTRIBUTIONS, sample, seededRandom } from '../durable-objects/core/seeded.ts';
import { SignalWindow } from '../durable-objects/core/signals.ts';
import { LatencySketch, sketchIndex } from '../durable-objects/core/sketch.ts';
import { parseArgs } from './args.ts';

const args = parseArgs(process.argv.slice(2), { reps: 5, window: 0 });
const out = (m: string) => console.log(m);

/** Best of `reps` runs of fn, in ns per op. */
function time(ops: number, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < args.reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, ((performance.now() - t0) * 1e6) / ops);
  }
  return best;
}
const f = (x: number, d = 1) => x.toFixed(d);

// A child run of this file (below) measures one SignalWindow size and prints one line.
if (args.window > 0) {
  windowRun(args.window); // warm-up: compiles the code paths; its window is garbage by the next
  out(windowRun(args.window));
  process.exit(0);
}

// --- Store choice for add: fill a store with `per` precomputed indices (lognormal, 20 ms median)
// and read it out as sorted [index, count] pairs, as a sketch does before any read.
const N = 1_000_000;
const values = Float64Array.from(sample('lognormal', N, 1));
const indices = Int32Array.from(values, (v) => sketchIndex(v));
const STORES: Record<string, (from: number, to: number) => Int32Array> = {
  Map: (from, to) => {
    const m = new Map<number, number>();
    for (let j = from; j < to; j++) m.set(indices[j]!, (m.get(indices[j]!) ?? 0) + 1);
    const keys = new Int32Array(m.size);
    let k = 0;
    for (const i of m.keys()) keys[k++] = i;
    keys.sort();
    const out = new Int32Array(keys.length * 2);
    for (let j = 0; j < keys.length; j++) (out[2 * j] = keys[j]!), (out[2 * j + 1] = m.get(keys[j]!)!);
    return out;
  },
  'sorted arrays': (from, to) => {
    const k: number[] = [];
    const c: number[] = [];
    for (let j = from; j < to; j++) {
      const i = indices[j]!;
      let lo = 0;
      let hi = k.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (k[mid]! < i) lo = mid + 1;
        else hi = mid;
      }
      if (k[lo] === i) c[lo]!++;
      else k.splice(lo, 0, i), c.splice(lo, 0, 1);
    }
    const out = new Int32Array(k.length * 2);
    for (let j = 0; j < k.length; j++) (out[2 * j] = k[j]!), (out[2 * j + 1] = c[j]!);
    return out;
  },
  // A dense Float64Array from 64 bins around the first index, doubling toward a new index.
  'dense, growing': (from, to) => {
    let a = new Float64Array(64);
    let base = indices[from]! - 32;
    for (let j = from; j < to; j++) {
      const i = indices[j]!;
      if (i < base || i >= base + a.length) {
        const lo = Math.min(base, i);
        const len = Math.max(2 * a.length, Math.max(base + a.length - 1, i) - lo + 1);
        const b = new Float64Array(len);
        const start = i < base ? Math.max(base + a.length - 1, i) - len + 1 : base;
        b.set(a, base - start);
        (a = b), (base = start);
      }
      a[i - base]!++;
    }
    let used = 0;
    for (let k = 0; k < a.length; k++) if (a[k] !== 0) used++;
    const out = new Int32Array(used * 2);
    for (let k = 0, o = 0; k < a.length; k++) if (a[k] !== 0) (out[o++] = k + base), (out[o++] = a[k]!);
    return out;
  },
};
out('store for add: ns per value to fill a new store with `per` values and read it sorted:');
for (const per of [1, 10, 50, 500, 10_000]) {
  const row: string[] = [];
  let distinct = 0;
  const reference = JSON.stringify(Array.from(STORES.Map!(0, per)));
  for (const [name, fill] of Object.entries(STORES)) {
    if (JSON.stringify(Array.from(fill(0, per))) !== reference) throw new Error(`${name} disagrees with Map`);
    row.push(`${name} ${f(time(N, () => {
      for (let s = 0; s + per <= N; s += per) distinct = fill(s, s + per).length / 2;
    }))}`);
  }
  out(`  per ${per} (~${distinct} distinct bins): ${row.join(', ')}`);
}

// --- LatencySketch: add (incl. log and settling into the sorted bins), merge, serialize.
out('LatencySketch (ns per value unless stated):');
let addNs = 0;
for (const per of [50, 500, 10_000]) {
  const ns = time(N, () => {
    for (let s = 0; s + per <= N; s += per) {
      const sk = new LatencySketch();
      for (let j = s; j < s + per; j++) sk.add(values[j]!);
      sk.binCount; // settles the pending adds
    }
  });
  if (per === 500) addNs = ns;
  out(`  add ${per} values then settle: ${f(ns)}`);
}
const seconds = Array.from({ length: 900 }, (_, s) => LatencySketch.fromValues(values.subarray(s * 100, s * 100 + 100)));
const mergeAllMs: Record<number, number> = {};
for (const n of [60, 300, 900]) {
  mergeAllMs[n] = time(1, () => void LatencySketch.mergeAll(seconds.slice(0, n)).quantile(0.99)) / 1e6;
  const pairwise = time(1, () => {
    const acc = new LatencySketch();
    for (const s of seconds.slice(0, n)) acc.merge(s);
    acc.quantile(0.99);
  }) / 1e6;
  out(`  merge ${n} one-second sketches (100 values each, ~${seconds[0]!.binCount} bins): mergeAll ${f(mergeAllMs[n]!, 3)} ms, one by one ${f(pairwise, 3)} ms`);
}
const big = LatencySketch.fromValues(values.subarray(0, 10_000));
const bytes = big.toBytes();
const wire = big.toWire();
const toBytesUs = time(1, () => void big.toBytes()) / 1e3;
out(`  10,000 lognormal values: ${big.binCount} bins, ${bytes.length} B; toBytes ${f(toBytesUs)} us, fromBytes ${f(time(1, () => void LatencySketch.fromBytes(bytes)) / 1e3)} us`);
out(`  wire: toWire ${f(time(1, () => void big.toWire()) / 1e3)} us, structuredClone ${f(time(1, () => void structuredClone(wire)) / 1e3)} us, fromWire ${f(time(1, () => void LatencySketch.fromWire(wire)) / 1e3)} us, mergeWire into a 10k sketch ${f(time(1, () => void big.clone().mergeWire(wire)) / 1e3)} us`);
out(`  quantile on that sketch: ${f(time(1, () => void big.quantile(0.99)) / 1e3, 2)} us`);

// --- Accuracy (relative error against the exact nearest-rank value, ceil(q n)) and size.
out('accuracy over 20 seeds of 10,000 values: mean / worst relative error of p50, p95, p99; bytes');
for (const dist of Object.keys(DISTRIBUTIONS)) {
  const errs = [0.5, 0.95, 0.99].map(() => ({ sum: 0, worst: 0 }));
  let size = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const v = sample(dist, 10_000, seed);
    const s = LatencySketch.fromValues(v);
    const sorted = v.sort((a, b) => a - b);
    [0.5, 0.95, 0.99].forEach((q, k) => {
      const want = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
      const e = Math.abs(s.quantile(q) - want) / want;
      errs[k]!.sum += e / 20;
      errs[k]!.worst = Math.max(errs[k]!.worst, e);
    });
    size += s.toBytes().length / 20;
  }
  out(`  ${dist.padEnd(10)} ${errs.map((e) => `${f(e.sum * 100, 2)}/${f(e.worst * 100, 2)} %`).join(', ')}; ${f(size, 0)} B`);
}

// --- SignalWindow: memory and stats cost for 900 s of 8 routes, each size in a fresh process
// (in one process the heap left by earlier runs blurred the figures).
function windowRun(rps: number) {
  if (typeof globalThis.gc !== 'function') throw new Error('--window needs --expose-gc');
  const heap = () => {
    for (let k = 0; k < 3; k++) globalThis.gc!();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const r = seededRandom(rps);
  const lognormal = DISTRIBUTIONS.lognormal!;
  // The worker's side (not timed here): one wire sketch per route-second.
  const wires = Array.from({ length: 900 * 8 }, () => {
    const sk = new LatencySketch();
    for (let k = 0; k < rps; k++) sk.add(lognormal(r));
    return sk.toWire();
  });
  const T = 1_700_000_000;
  const h0 = heap();
  const t0 = performance.now();
  const w = new SignalWindow({ seconds: 900 });
  for (let k = 0; k < wires.length; k++) w.add(T - 899 + Math.floor(k / 8), `/route/${k % 8}`, rps, 0, wires[k]!);
  const addUs = ((performance.now() - t0) * 1e3) / wires.length;
  const mib = (heap() - h0) / 2 ** 20;
  const stats900 = time(1, () => void w.stats(T, 900)) / 1e6;
  const stats60 = time(1, () => void w.stats(T, 60, '/route/0')) / 1e6;
  if (w.routes().length !== 8 || w.stats(T, 900).requests !== rps * wires.length) throw new Error('window lost data');
  return `  ${rps} req/s a route: ${f(mib)} MiB; add ${f(addUs)} us a route-second; stats(900) service ${f(stats900, 2)} ms, stats(60) one route ${f(stats60, 3)} ms`;
}
out('SignalWindow, 900 s x 8 routes (+ the service total), lognormal latencies:');
const self = fileURLToPath(import.meta.url);
for (const rps of [1, 10, 100, 1000]) {
  const argv = [...process.execArgv, '--expose-gc', self, '--window', String(rps), '--reps', String(args.reps)];
  out(execFileSync(process.execPath, argv, { encoding: 'utf8' }).trimEnd());
}

out(`sketch: add ${f(addNs)} ns/value, mergeAll of 900 ${f(mergeAllMs[900]!, 2)} ms, toBytes ${f(toBytesUs)} us, 10k lognormal values ${bytes.length} B`);
