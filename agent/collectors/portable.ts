// macOS/Windows (and any non-Linux) collectors. CPU and load come from node:os (no processes);
// memory, filesystems, network and disk I/O from `systeminformation`, which shells out on these
// platforms, so it is loaded lazily and never on Linux. Spec metrics it cannot give (inodes,
// packet counts, per-device disk I/O, connection counts) are left out rather than faked.
import os from 'node:os';
import type { Systeminformation } from 'systeminformation';
import type { Collector, Metrics } from '../types.ts';
import { RateTracker } from '../rate.ts';
import { globToRegExp, matchesAny, pushLabelled, round } from '../procfs.ts';
import { cpuPercents, type CpuTimes } from './cpu.ts';
import { memoryMetrics } from './memory.ts';
import { DEFAULT_EXCLUDED_FS_TYPES } from './filesystem.ts';

/** The part of systeminformation used here; injectable for tests. */
export interface SiSource {
  mem(): Promise<Systeminformation.MemData>;
  fsSize(): Promise<Systeminformation.FsSizeData[]>;
  networkStats(ifaces: string): Promise<Systeminformation.NetworkStatsData[]>;
  fsStats(): Promise<Systeminformation.FsStatsData | null>;
  disksIO(): Promise<Systeminformation.DisksIoData | null>;
}

let si: Promise<SiSource> | undefined;
const loadSi = (): Promise<SiSource> => (si ??= import('systeminformation').then((m) => (m.default ?? m) as unknown as SiSource));

const toTimes = (t: os.CpuInfo['times']): CpuTimes => ({ user: t.user, nice: t.nice, system: t.sys, idle: t.idle, iowait: 0, irq: t.irq, softirq: 0, steal: 0 });

export function portableCpuCollector(opts: { perCpu?: boolean; cpus?: () => os.CpuInfo[]; loadavg?: () => number[]; platform?: string } = {}): Collector {
  const tracker = new RateTracker();
  const cpus = opts.cpus ?? os.cpus;
  const loadavg = opts.loadavg ?? os.loadavg;
  const platform = opts.platform ?? process.platform;
  return {
    name: 'cpu',
    async collect(ctx) {
      const list = cpus();
      const m: Metrics = { 'cpu.cores.count': list.length };
      // Windows has no load average (node returns zeros): leave it out instead of reporting 0.
      if (platform !== 'win32') {
        const [a, b, c] = loadavg();
        m['cpu.load.average.1m'] = round(a ?? 0);
        m['cpu.load.average.5m'] = round(b ?? 0);
        m['cpu.load.average.15m'] = round(c ?? 0);
      }
      const total = toTimes({ user: 0, nice: 0, sys: 0, idle: 0, irq: 0 });
      for (const c of list) for (const k of Object.keys(total) as (keyof CpuTimes)[]) total[k] += toTimes(c.times)[k];
      const p = cpuPercents(tracker, 'cpu', total, ctx.mono);
      if (p) {
        m['cpu.usage.total'] = p.total;
        m['cpu.usage.user'] = p.user;
        m['cpu.usage.system'] = p.system;
        m['cpu.usage.idle'] = p.idle;
        m['cpu.usage.iowait'] = p.iowait;
      }
      if (opts.perCpu ?? true) {
        list.forEach((c, i) => {
          const cp = cpuPercents(tracker, `cpu${i}`, toTimes(c.times), ctx.mono);
          if (cp) pushLabelled(m, 'cpu.cores.usage', 'core', String(i), cp.total);
        });
      }
      tracker.sweep();
      return m;
    },
  };
}

export function portableMemoryCollector(source: () => Promise<SiSource> = loadSi): Collector {
  return {
    name: 'memory',
    async collect() {
      const d = await (await source()).mem();
      // Reuse the Linux arithmetic through meminfo-shaped input (bytes in, bytes out).
      const mi = new Map<string, number>([
        ['MemTotal', d.total], ['MemFree', d.free], ['MemAvailable', d.available], ['Buffers', d.buffers],
        ['Cached', d.cached], ['SwapTotal', d.swaptotal], ['SwapFree', d.swapfree],
      ]);
      return memoryMetrics(mi);
    },
  };
}

export function portableFilesystemCollector(opts: { excludeDevices?: readonly string[]; excludeFsTypes?: readonly string[]; intervalMs?: number } = {}, source = loadSi): Collector {
  const excludeTypes = new Set((opts.excludeFsTypes ?? DEFAULT_EXCLUDED_FS_TYPES).map((t) => t.toLowerCase()));
  const excludeDevices = opts.excludeDevices ?? [];
  const intervalMs = opts.intervalMs ?? 30_000;
  let lastRun: number | undefined;
  return {
    name: 'filesystem',
    async collect(ctx) {
      if (lastRun !== undefined && ctx.mono - lastRun < intervalMs) return {};
      lastRun = ctx.mono;
      const m: Metrics = {};
      const seen = new Set<string>();
      for (const f of await (await source()).fsSize()) {
        if (seen.has(f.mount) || excludeTypes.has(f.type.toLowerCase()) || excludeDevices.includes(f.fs) || excludeDevices.includes(f.type)) continue;
        // macOS lists the sealed system volume's helper mounts; they mirror the data volume.
        if (/^\/System\/Volumes\/(?!Data$)/.test(f.mount) || f.size <= 0) continue;
        seen.add(f.mount);
        pushLabelled(m, 'disk.usage.total', 'mount', f.mount, f.size);
        pushLabelled(m, 'disk.usage.used', 'mount', f.mount, f.used);
        pushLabelled(m, 'disk.usage.free', 'mount', f.mount, f.available);
        pushLabelled(m, 'disk.usage.percent', 'mount', f.mount, f.used + f.available > 0 ? round((f.used * 100) / (f.used + f.available)) : 0);
      }
      return m;
    },
  };
}

export function portableNetworkCollector(opts: { interfaces?: readonly string[] | null; exclude?: readonly string[] } = {}, source = loadSi): Collector {
  const tracker = new RateTracker();
  const include = opts.interfaces?.length ? opts.interfaces.map(globToRegExp) : null;
  const exclude = (opts.exclude ?? ['lo', 'lo0', 'Loopback*']).map(globToRegExp);
  const series: [string, keyof Systeminformation.NetworkStatsData][] = [
    ['network.io.bytes.sent', 'tx_bytes'], ['network.io.bytes.recv', 'rx_bytes'],
    ['network.io.errors.in', 'rx_errors'], ['network.io.errors.out', 'tx_errors'],
    ['network.io.dropped.in', 'rx_dropped'], ['network.io.dropped.out', 'tx_dropped'],
  ];
  return {
    name: 'netdev',
    async collect(ctx) {
      const m: Metrics = {};
      for (const s of await (await source()).networkStats('*')) {
        if (include ? !matchesAny(s.iface, include) : matchesAny(s.iface, exclude)) continue;
        for (const [name, field] of series) {
          const r = tracker.rate(`${s.iface}.${field}`, Number(s[field]), ctx.mono);
          if (r !== undefined) pushLabelled(m, name, 'interface', s.iface, round(r));
        }
      }
      tracker.sweep();
      return m;
    },
  };
}

/** Only machine-wide totals exist here, reported under device "all". */
export function portableDiskIoCollector(source = loadSi): Collector {
  const tracker = new RateTracker();
  return {
    name: 'diskio',
    async collect(ctx) {
      const s = await source();
      const [fs, io] = await Promise.all([s.fsStats(), s.disksIO()]);
      const m: Metrics = {};
      const put = (name: string, key: string, v: number | undefined) => {
        const r = v === undefined ? undefined : tracker.rate(key, v, ctx.mono);
        if (r !== undefined) pushLabelled(m, name, 'device', 'all', round(r));
      };
      put('disk.io.read.bytes', 'rx', fs?.rx);
      put('disk.io.write.bytes', 'wx', fs?.wx);
      put('disk.io.read.count', 'rIO', io?.rIO);
      put('disk.io.write.count', 'wIO', io?.wIO);
      tracker.sweep();
      return m;
    },
  };
}
