// A service no organization host matches: its saturation charts draw its own process metrics
// (OTLP /v1/metrics), chosen from what GET /api/v1/services/{service}/saturation saw lately.
import type { ServiceMetricHistory, ServiceSaturation } from '../../../protocol/apm-metrics.ts';
import type { HostPoint } from './service-store.ts';

export interface ProcessMetric {
  metric: string;
  unit: 'percent' | 'bytes';
  /** Multiplies each value: utilizations are 0..1 ratios, the charts draw percent. */
  scale: number;
}

const CPU: ProcessMetric[] = [
  { metric: 'process.cpu.utilization', unit: 'percent', scale: 100 },
  { metric: 'system.cpu.utilization', unit: 'percent', scale: 100 },
];
const MEMORY: ProcessMetric[] = [
  { metric: 'process.memory.usage', unit: 'bytes', scale: 1 },
  { metric: 'process.memory.utilization', unit: 'percent', scale: 100 },
  { metric: 'system.memory.usage', unit: 'bytes', scale: 1 },
  { metric: 'system.memory.utilization', unit: 'percent', scale: 100 },
];

/** The CPU and memory metric to chart: the first the service sent lately, else the process one
 * (a past range may hold metrics the last 15 minutes do not). */
export function processMetrics(sat: Pick<ServiceSaturation, 'process'>): { cpu: ProcessMetric; memory: ProcessMetric } {
  const seen = new Set(sat.process.map((v) => v.metric));
  const pick = (list: ProcessMetric[]) => list.find((m) => seen.has(m.metric)) ?? list[0]!;
  return { cpu: pick(CPU), memory: pick(MEMORY) };
}

/** One line per attribute set (e.g. a `state` label), named by its labels, values scaled. */
export function processLines(h: Pick<ServiceMetricHistory, 'metric' | 'series'>, scale: number): { key: string; points: HostPoint[] }[] {
  return h.series.map((s) => {
    const labels = Object.entries(s.labels)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return { key: labels || h.metric, points: s.points.map((p): HostPoint => [p.ts, p.avg * scale]).sort((a, b) => a[0] - b[0]) };
  });
}
