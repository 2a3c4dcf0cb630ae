// Times full collections on this machine: `npx tsx agent/bench.ts [n]` or `npx bun agent/bench.ts [n]`.
import { buildCollectors, DEFAULT_METRICS } from './collectors/index.ts';
import { Runner } from './runner.ts';

const n = Number(process.argv[2] ?? 100);
// usageIntervalMs 0 so every collection includes the statfs round (the worst case).
const runner = new Runner(buildCollectors({ ...DEFAULT_METRICS, disk: { ...DEFAULT_METRICS.disk, usageIntervalMs: 0 } }));
await runner.collect(); // warm-up: module JIT and counter baselines
const times: number[] = [];
const cpu0 = process.cpuUsage();
const perCollector = new Map<string, number>();
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const { results } = await runner.collect();
  times.push(performance.now() - t0);
  for (const r of results) perCollector.set(r.name, (perCollector.get(r.name) ?? 0) + r.durationMs);
}
const cpu = process.cpuUsage(cpu0);
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(3);
const mean = times.reduce((a, b) => a + b, 0) / times.length;
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : `node ${process.version}`;
console.log(`${runtime}: ${n} full collections, wall mean ${mean.toFixed(3)} ms, p50 ${pct(50)} ms, p99 ${pct(99)} ms; CPU ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms per collection`);
for (const [name, total] of perCollector) console.log(`  ${name.padEnd(10)} mean ${(total / n).toFixed(3)} ms (wall time, collectors run concurrently)`);
