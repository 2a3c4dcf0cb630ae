// Seeded random latencies for the sketch tests and bench/sketch.ts (reproducible, no Math.random).

/** mulberry32: a small, well-mixed 32-bit generator; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller. */
export function normal(r: () => number): number {
  const u = 1 - r(); // (0, 1]: log(u) is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Latency distributions (ms) the sketch is tested on, by name. */
export const DISTRIBUTIONS: Record<string, (r: () => number) => number> = {
  uniform: (r) => 1 + 999 * r(),
  lognormal: (r) => Math.exp(Math.log(20) + 1.2 * normal(r)),
  // A cache hit/miss mix: most requests ~5 ms, a fifth ~300 ms.
  bimodal: (r) => (r() < 0.8 ? Math.max(0.05, 5 + normal(r)) : Math.max(1, 300 + 50 * normal(r))),
  // Pareto, alpha 1.1 from 1 ms: infinite variance, a tail into hours.
  pareto: (r) => 1 / Math.pow(1 - r(), 1 / 1.1),
  constant: () => 42,
  // Just above the 1 µs floor.
  tiny: (r) => 1e-3 * Math.pow(10, r()),
  // Days to years.
  huge: (r) => 1e8 * Math.pow(10, 3 * r()),
  // Log-uniform over the whole range the sketch tracks, 1 µs to 31 years.
  everything: (r) => 1e-3 * Math.pow(10, 15 * r()),
};

export function sample(dist: string, n: number, seed: number): number[] {
  const f = DISTRIBUTIONS[dist];
  if (!f) throw new Error(`unknown distribution ${dist}`);
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => f(r));
}
