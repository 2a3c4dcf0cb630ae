// The metric catalog: every metric of the host-monitoring spec (§2), by its spec name.
// Agent, worker, objects and site all read names, units and label keys from here.

export type MetricGroup = 'cpu' | 'memory' | 'swap' | 'disk' | 'network' | 'agent';
export type LabelKey = 'core' | 'mount' | 'device' | 'interface' | 'collector';
export type Unit =
  | 'percent'
  | 'count'
  | 'load'
  | 'bytes'
  | 'bytes/s'
  | 'ops/s'
  | 'ms'
  | 'packets/s'
  | 'errors/s'
  | 'boolean';

export interface MetricDef {
  name: string;
  group: MetricGroup;
  unit: Unit;
  /** Present when the metric is a list of values labelled by a device, mount, interface or core. */
  label?: LabelKey;
  description: string;
}

const def = (name: string, group: MetricGroup, unit: Unit, description: string, label?: LabelKey): MetricDef =>
  label ? { name, group, unit, description, label } : { name, group, unit, description };

export const METRIC_DEFS: readonly MetricDef[] = [
  def('cpu.usage.total', 'cpu', 'percent', 'CPU busy time, all cores'),
  def('cpu.usage.user', 'cpu', 'percent', 'CPU time in user processes'),
  def('cpu.usage.system', 'cpu', 'percent', 'CPU time in the kernel'),
  def('cpu.usage.idle', 'cpu', 'percent', 'CPU idle time'),
  def('cpu.usage.iowait', 'cpu', 'percent', 'CPU time waiting for I/O'),
  def('cpu.cores.count', 'cpu', 'count', 'Number of logical CPU cores'),
  def('cpu.cores.usage', 'cpu', 'percent', 'CPU busy time per core', 'core'),
  def('cpu.load.average.1m', 'cpu', 'load', 'Load average over 1 minute'),
  def('cpu.load.average.5m', 'cpu', 'load', 'Load average over 5 minutes'),
  def('cpu.load.average.15m', 'cpu', 'load', 'Load average over 15 minutes'),

  def('memory.total', 'memory', 'bytes', 'Total memory'),
  def('memory.used', 'memory', 'bytes', 'Memory in use (total - available)'),
  def('memory.available', 'memory', 'bytes', 'Memory available for new work'),
  def('memory.free', 'memory', 'bytes', 'Completely unused memory'),
  def('memory.usage.percent', 'memory', 'percent', 'Memory in use'),
  def('memory.buffers', 'memory', 'bytes', 'Buffer memory'),
  def('memory.cached', 'memory', 'bytes', 'Page cache memory'),
  def('swap.total', 'swap', 'bytes', 'Total swap'),
  def('swap.used', 'swap', 'bytes', 'Swap in use'),
  def('swap.free', 'swap', 'bytes', 'Free swap'),
  def('swap.usage.percent', 'swap', 'percent', 'Swap in use'),

  def('disk.usage.total', 'disk', 'bytes', 'Filesystem size', 'mount'),
  def('disk.usage.used', 'disk', 'bytes', 'Filesystem space used', 'mount'),
  def('disk.usage.free', 'disk', 'bytes', 'Filesystem space available', 'mount'),
  def('disk.usage.percent', 'disk', 'percent', 'Filesystem space used', 'mount'),
  def('disk.inode.total', 'disk', 'count', 'Inodes in the filesystem', 'mount'),
  def('disk.inode.used', 'disk', 'count', 'Inodes in use', 'mount'),
  def('disk.inode.usage.percent', 'disk', 'percent', 'Inodes in use', 'mount'),
  def('disk.io.read.bytes', 'disk', 'bytes/s', 'Bytes read per second', 'device'),
  def('disk.io.write.bytes', 'disk', 'bytes/s', 'Bytes written per second', 'device'),
  def('disk.io.read.count', 'disk', 'ops/s', 'Read operations per second', 'device'),
  def('disk.io.write.count', 'disk', 'ops/s', 'Write operations per second', 'device'),
  def('disk.io.read.time', 'disk', 'ms', 'Time spent reading, per second of wall time', 'device'),
  def('disk.io.write.time', 'disk', 'ms', 'Time spent writing, per second of wall time', 'device'),

  def('network.io.bytes.sent', 'network', 'bytes/s', 'Bytes sent per second', 'interface'),
  def('network.io.bytes.recv', 'network', 'bytes/s', 'Bytes received per second', 'interface'),
  def('network.io.packets.sent', 'network', 'packets/s', 'Packets sent per second', 'interface'),
  def('network.io.packets.recv', 'network', 'packets/s', 'Packets received per second', 'interface'),
  def('network.io.errors.in', 'network', 'errors/s', 'Receive errors per second', 'interface'),
  def('network.io.errors.out', 'network', 'errors/s', 'Transmit errors per second', 'interface'),
  def('network.io.dropped.in', 'network', 'packets/s', 'Received packets dropped per second', 'interface'),
  def('network.io.dropped.out', 'network', 'packets/s', 'Transmitted packets dropped per second', 'interface'),
  def('network.connections.tcp', 'network', 'count', 'Open TCP sockets'),
  def('network.connections.udp', 'network', 'count', 'Open UDP sockets'),
  def('network.connections.established', 'network', 'count', 'TCP connections in ESTABLISHED'),
  def('network.connections.time_wait', 'network', 'count', 'TCP connections in TIME_WAIT'),

  // The agent's own health, reported with every sample (issue 3).
  def('agent.collector.duration', 'agent', 'ms', 'Time one collector took', 'collector'),
  def('agent.collector.success', 'agent', 'boolean', '1 when the collector succeeded', 'collector'),
  def('agent.spool.depth', 'agent', 'count', 'Batches waiting in the on-disk spool'),
  def('agent.spool.bytes', 'agent', 'bytes', 'Size of the on-disk spool'),
  def('agent.spool.dropped', 'agent', 'count', 'Batches dropped from a full spool since start'),
  def('agent.send.success', 'agent', 'count', 'Batches acknowledged since start'),
  def('agent.send.failures', 'agent', 'count', 'Failed send attempts since start'),
  def('agent.send.duration', 'agent', 'ms', 'Duration of the last send'),
];

export const METRICS: ReadonlyMap<string, MetricDef> = new Map(METRIC_DEFS.map((m) => [m.name, m]));

/** Custom metrics (Prometheus scrape, exec plugins) live under this prefix with free labels. */
export const CUSTOM_PREFIX = 'custom.';
export const CUSTOM_NAME = /^custom\.[a-zA-Z0-9_.:]{1,150}$/;

export function isKnownMetric(name: string): boolean {
  return METRICS.has(name) || CUSTOM_NAME.test(name);
}
