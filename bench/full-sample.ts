// A full host sample with every metric of the catalog, shaped like a mid-size server's
// (8 cores, 2 mounts, 2 disks, 2 interfaces), for benchmarks.
import type { Sample } from '../protocol/ingest.ts';
import { METRIC_DEFS } from '../protocol/metrics.ts';

const LABEL_VALUES: Record<string, string[]> = {
  core: ['0', '1', '2', '3', '4', '5', '6', '7'],
  mount: ['/', '/var'],
  device: ['nvme0n1', 'sda'],
  interface: ['eth0', 'eth1'],
  collector: ['cpu', 'memory', 'disk', 'network'],
};

/**
 * Values move every sample but stay where a healthy host lives (percentages 10-50 %, below every
 * default alert rule), so the ingest benchmark measures ingest, not an alert storm
 * (bench:alerts measures that path).
 */
export function fullSample(ts: number, seed: number): Sample {
  const metrics: Sample['metrics'] = {};
  let i = 0;
  for (const def of METRIC_DEFS) {
    const wave = (Math.sin(ts / 60_000 + seed + i++) + 1) / 2; // 0..1
    const v = () => Math.round((def.unit === 'percent' ? 10 + 40 * wave : 1000 * wave) * 100) / 100;
    metrics[def.name] = def.label ? LABEL_VALUES[def.label]!.map((l) => ({ labels: { [def.label!]: l }, value: v() })) : v();
  }
  return { ts, metrics };
}

export function pointsIn(sample: Sample): number {
  let n = 0;
  for (const v of Object.values(sample.metrics)) n += typeof v === 'number' ? 1 : v.length;
  return n;
}
