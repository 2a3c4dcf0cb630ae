// CPU usage from /proc/stat tick deltas, plus core count and load averages from /proc/loadavg.
import type { Collector, Metrics } from '../types.ts';
import { RateTracker } from '../rate.ts';
import { pushLabelled, readText, round } from '../procfs.ts';

/** Jiffies of one "cpu" line of /proc/stat. guest/guest_nice are already inside user/nice, so they are left out. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface ProcStat {
  total: CpuTimes;
  /** Per online core, keyed by the kernel's core number (offline cores are absent, so numbers may skip). */
  cores: Map<string, CpuTimes>;
}

const FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes | undefined;
  const cores = new Map<string, CpuTimes>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const parts = line.trim().split(/\s+/);
    const label = parts[0]!;
    const times = {} as CpuTimes;
    FIELDS.forEach((f, i) => (times[f] = Number(parts[i + 1] ?? 0) || 0));
    if (label === 'cpu') total = times;
    else cores.set(label.slice(3), times);
  }
  if (!total) throw new Error('no aggregate "cpu" line in /proc/stat');
  return { total, cores };
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

export function parseLoadavg(text: string): LoadAvg {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((v) => Number.isFinite(v))) throw new Error(`unexpected /proc/loadavg: ${text.slice(0, 60)}`);
  return { load1: a!, load5: b!, load15: c! };
}

export interface CpuPercents {
  total: number;
  user: number;
  system: number;
  idle: number;
  iowait: number;
}

/**
 * Percentages for one interval from per-field tick deltas. user includes nice; system includes
 * irq and softirq (kernel time); total is everything but idle and iowait. Undefined when any
 * field went backwards (reset) or no ticks passed.
 */
export function cpuPercents(tracker: RateTracker, key: string, t: CpuTimes, mono: number): CpuPercents | undefined {
  const d = {} as Record<(typeof FIELDS)[number], number>;
  let ok = true;
  for (const f of FIELDS) {
    const x = tracker.delta(`${key}.${f}`, t[f], mono);
    if (!x) ok = false;
    else d[f] = x.delta;
  }
  if (!ok) return undefined;
  const sum = FIELDS.reduce((s, f) => s + d[f], 0);
  if (sum <= 0) return undefined;
  const pct = (v: number) => round((v * 100) / sum);
  return {
    total: pct(sum - d.idle - d.iowait),
    user: pct(d.user + d.nice),
    system: pct(d.system + d.irq + d.softirq),
    idle: pct(d.idle),
    iowait: pct(d.iowait),
  };
}

export interface CpuOptions {
  /** Report cpu.cores.usage per core (spec §7.2 metrics.cpu.per_cpu). */
  perCpu?: boolean;
}

export function cpuCollector(opts: CpuOptions = {}): Collector {
  const perCpu = opts.perCpu ?? true;
  const tracker = new RateTracker();
  return {
    name: 'cpu',
    async collect(ctx) {
      const [statText, loadText] = await Promise.all([readText(ctx.procRoot, 'stat'), readText(ctx.procRoot, 'loadavg')]);
      const stat = parseProcStat(statText);
      const load = parseLoadavg(loadText);
      const m: Metrics = {
        'cpu.cores.count': stat.cores.size,
        'cpu.load.average.1m': load.load1,
        'cpu.load.average.5m': load.load5,
        'cpu.load.average.15m': load.load15,
      };
      const all = cpuPercents(tracker, 'cpu', stat.total, ctx.mono);
      if (all) {
        m['cpu.usage.total'] = all.total;
        m['cpu.usage.user'] = all.user;
        m['cpu.usage.system'] = all.system;
        m['cpu.usage.idle'] = all.idle;
        m['cpu.usage.iowait'] = all.iowait;
      }
      if (perCpu) {
        for (const [core, times] of stat.cores) {
          const p = cpuPercents(tracker, `cpu${core}`, times, ctx.mono);
          if (p) pushLabelled(m, 'cpu.cores.usage', 'core', core, p.total);
        }
      }
      tracker.sweep();
      return m;
    },
  };
}
