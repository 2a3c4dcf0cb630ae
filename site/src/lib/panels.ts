// The host dashboard's panels, after the product spec (§3.4): CPU, memory, disk and network,
// by catalog metric name. One chart component draws any of them (components/TimeChart.tsx).
import { METRICS, type Unit } from '../../../protocol/metrics.ts';
import type { Labels } from '../../../protocol/series.ts';

export interface LineSpec {
  metric: string;
  /** Series name; labelled metrics default to the label value. */
  name?: string;
  /** Prefix for labelled series (e.g. "read " + device). */
  prefix?: string;
  stack?: boolean;
  area?: boolean;
}
export interface PanelSpec {
  id: string;
  title: string;
  unit: Unit;
  lines: LineSpec[];
  max?: number;
}
export interface GroupSpec {
  id: string;
  title: string;
  panels: PanelSpec[];
}

const l = (metric: string, name?: string, extra: Partial<LineSpec> = {}): LineSpec => ({ metric, ...(name && { name }), ...extra });

export const GROUPS: GroupSpec[] = [
  {
    id: 'cpu',
    title: 'CPU',
    panels: [
      { id: 'cpu-total', title: 'CPU usage', unit: 'percent', max: 100, lines: [l('cpu.usage.total', 'total'), l('cpu.usage.user', 'user'), l('cpu.usage.system', 'system'), l('cpu.usage.iowait', 'iowait')] },
      { id: 'cpu-cores', title: 'CPU per core', unit: 'percent', max: 100, lines: [l('cpu.cores.usage', undefined, { prefix: 'core ' })] },
      { id: 'cpu-load', title: 'Load average', unit: 'load', lines: [l('cpu.load.average.1m', '1m'), l('cpu.load.average.5m', '5m'), l('cpu.load.average.15m', '15m')] },
    ],
  },
  {
    id: 'memory',
    title: 'Memory',
    panels: [
      { id: 'mem-usage', title: 'Memory usage', unit: 'percent', max: 100, lines: [l('memory.usage.percent', 'used')] },
      {
        id: 'mem-composition',
        title: 'Memory composition',
        unit: 'bytes',
        lines: [l('memory.used', 'used', { stack: true, area: true }), l('memory.buffers', 'buffers', { stack: true, area: true }), l('memory.cached', 'cached', { stack: true, area: true }), l('memory.free', 'free', { stack: true, area: true })],
      },
      { id: 'swap', title: 'Swap usage', unit: 'percent', max: 100, lines: [l('swap.usage.percent', 'swap used')] },
    ],
  },
  {
    id: 'disk',
    title: 'Disk',
    panels: [
      { id: 'disk-usage', title: 'Disk usage per mount', unit: 'percent', max: 100, lines: [l('disk.usage.percent')] },
      { id: 'disk-io', title: 'Disk I/O', unit: 'bytes/s', lines: [l('disk.io.read.bytes', undefined, { prefix: 'read ' }), l('disk.io.write.bytes', undefined, { prefix: 'write ' })] },
      { id: 'disk-inodes', title: 'Inode usage per mount', unit: 'percent', max: 100, lines: [l('disk.inode.usage.percent')] },
    ],
  },
  {
    id: 'network',
    title: 'Network',
    panels: [
      { id: 'net-traffic', title: 'Traffic', unit: 'bytes/s', lines: [l('network.io.bytes.recv', undefined, { prefix: 'in ' }), l('network.io.bytes.sent', undefined, { prefix: 'out ' })] },
      {
        id: 'net-errors',
        title: 'Errors and drops',
        unit: 'packets/s',
        lines: [l('network.io.errors.in', undefined, { prefix: 'err in ' }), l('network.io.errors.out', undefined, { prefix: 'err out ' }), l('network.io.dropped.in', undefined, { prefix: 'drop in ' }), l('network.io.dropped.out', undefined, { prefix: 'drop out ' })],
      },
      { id: 'net-conns', title: 'Connections', unit: 'count', lines: [l('network.connections.established', 'established'), l('network.connections.time_wait', 'time_wait'), l('network.connections.tcp', 'tcp'), l('network.connections.udp', 'udp')] },
    ],
  },
];

export const ALL_METRICS = [...new Set(GROUPS.flatMap((g) => g.panels.flatMap((p) => p.lines.map((x) => x.metric))))];

export function seriesName(line: LineSpec, labels: Labels): string {
  const def = METRICS.get(line.metric);
  const lv = def?.label ? labels[def.label] : undefined;
  if (lv !== undefined) return `${line.prefix ?? ''}${lv}`;
  return line.name ?? line.metric;
}
