// Memory and swap from /proc/meminfo (values in kB there, bytes on the wire).
import type { Collector, Metrics } from '../types.ts';
import { readText, round } from '../procfs.ts';

/** Parses /proc/meminfo into bytes by field name. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+(kB))?/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

/** Metrics as `free` reports them: cached includes reclaimable slab; used = total - available. */
export function memoryMetrics(mi: Map<string, number>): Metrics {
  const total = mi.get('MemTotal');
  const free = mi.get('MemFree');
  if (total === undefined || free === undefined) throw new Error('MemTotal/MemFree missing from /proc/meminfo');
  const buffers = mi.get('Buffers') ?? 0;
  const cached = (mi.get('Cached') ?? 0) + (mi.get('SReclaimable') ?? 0);
  // Kernels before 3.14 have no MemAvailable; approximate it the way `free` does.
  const available = Math.min(total, mi.get('MemAvailable') ?? free + buffers + cached);
  const used = total - available;
  const swapTotal = mi.get('SwapTotal') ?? 0;
  const swapFree = mi.get('SwapFree') ?? 0;
  const swapUsed = Math.max(0, swapTotal - swapFree);
  return {
    'memory.total': total,
    'memory.used': used,
    'memory.available': available,
    'memory.free': free,
    'memory.buffers': buffers,
    'memory.cached': cached,
    'memory.usage.percent': total > 0 ? round((used * 100) / total) : 0,
    'swap.total': swapTotal,
    'swap.used': swapUsed,
    'swap.free': swapFree,
    'swap.usage.percent': swapTotal > 0 ? round((swapUsed * 100) / swapTotal) : 0,
  };
}

export function memoryCollector(): Collector {
  return {
    name: 'memory',
    async collect(ctx) {
      return memoryMetrics(parseMeminfo(await readText(ctx.procRoot, 'meminfo')));
    },
  };
}
