import type { CpuInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Sample } from '../../protocol/index.ts';
import { buildCollectors } from '../collectors/index.ts';
import {
  portableCpuCollector,
  portableDiskIoCollector,
  portableFilesystemCollector,
  portableMemoryCollector,
  portableNetworkCollector,
  type SiSource,
} from '../collectors/portable.ts';
import { Runner } from '../runner.ts';
import type { CollectContext } from '../types.ts';
import { byLabel } from './helpers.ts';

const ctx = (mono: number): CollectContext => ({ now: 1_700_000_000_000 + mono, mono, procRoot: '/nonexistent', sysRoot: '/nonexistent', rootFs: '' });
const cpu = (user: number, sys: number, idle: number): CpuInfo => ({ model: 'm', speed: 1, times: { user, nice: 0, sys, idle, irq: 0 } });

/** A fake systeminformation whose counters advance on every call. */
function fakeSi(): SiSource {
  let n = 0;
  let io = 0;
  const src = {
    mem: async () => ({ total: 1000, free: 100, used: 900, active: 0, available: 400, buffcache: 0, buffers: 10, cached: 200, slab: 0, reclaimable: 0, swaptotal: 100, swapused: 20, swapfree: 80, writeback: null, dirty: null }),
    fsSize: async () => [
      { fs: '/dev/disk3s1', type: 'APFS', size: 1000, used: 600, available: 300, use: 60, mount: '/System/Volumes/Data', rw: true },
      { fs: '/dev/disk3s3', type: 'APFS', size: 1000, used: 600, available: 300, use: 60, mount: '/System/Volumes/Preboot', rw: true },
      { fs: 'C:', type: 'NTFS', size: 2000, used: 500, available: 1500, use: 25, mount: 'C:', rw: true },
      { fs: 'devfs', type: 'devfs', size: 0, used: 0, available: 0, use: 0, mount: '/dev', rw: true },
    ],
    networkStats: async () => {
      n++;
      return [
        { iface: 'en0', operstate: 'up', rx_bytes: 1000 * n, tx_bytes: 500 * n, rx_errors: 0, tx_errors: 0, rx_dropped: n, tx_dropped: 0, rx_sec: 0, tx_sec: 0, ms: 0 },
        { iface: 'lo0', operstate: 'up', rx_bytes: n, tx_bytes: n, rx_errors: 0, tx_errors: 0, rx_dropped: 0, tx_dropped: 0, rx_sec: 0, tx_sec: 0, ms: 0 },
      ];
    },
    fsStats: async () => (io++, { rx: 4096 * io, wx: 8192 * io, tx: 0, rx_sec: null, wx_sec: null, tx_sec: null, ms: 0 }),
    disksIO: async () => ({ rIO: 10 * io, wIO: 20 * io, tIO: 30 * io, rIO_sec: null, wIO_sec: null, tIO_sec: null, rWaitTime: 0, wWaitTime: 0, tWaitTime: 0, rWaitPercent: null, wWaitPercent: null, tWaitPercent: null, ms: 0 }),
  };
  return src as unknown as SiSource;
}

describe('portable collectors (macOS/Windows)', () => {
  it('computes CPU usage from os.cpus() deltas and skips load average on Windows', async () => {
    let t = 0;
    const cpus = () => (t++ === 0 ? [cpu(100, 100, 800), cpu(100, 100, 800)] : [cpu(300, 200, 1500), cpu(100, 100, 1800)]);
    const c = portableCpuCollector({ cpus, loadavg: () => [0, 0, 0], platform: 'win32' });
    expect(await c.collect(ctx(0))).toEqual({ 'cpu.cores.count': 2 });
    const m = await c.collect(ctx(5000));
    expect(m['cpu.usage.total']).toBe(15); // 300 busy of 2000 ticks
    expect(byLabel(m['cpu.cores.usage'])).toEqual({ '0': 30, '1': 0 });
    const mac = portableCpuCollector({ cpus: () => [cpu(1, 1, 1)], loadavg: () => [1.5, 1, 0.5], platform: 'darwin' });
    expect((await mac.collect(ctx(0)))['cpu.load.average.1m']).toBe(1.5);
  });

  it('maps systeminformation memory, filesystems, network and disk totals to spec metrics', async () => {
    const si = fakeSi();
    const src = async () => si;
    const mem = await portableMemoryCollector(src).collect(ctx(0));
    expect(mem).toMatchObject({ 'memory.total': 1000, 'memory.used': 600, 'memory.usage.percent': 60, 'swap.used': 20, 'swap.usage.percent': 20 });

    const fs = await portableFilesystemCollector({}, src).collect(ctx(0));
    expect(byLabel(fs['disk.usage.percent'])).toEqual({ '/System/Volumes/Data': 66.67, 'C:': 25 });

    const net = portableNetworkCollector({}, src);
    await net.collect(ctx(0));
    const n = await net.collect(ctx(2000));
    expect(byLabel(n['network.io.bytes.recv'])).toEqual({ en0: 500 });
    expect(byLabel(n['network.io.dropped.in'])).toEqual({ en0: 0.5 });

    const io = portableDiskIoCollector(src);
    await io.collect(ctx(0));
    const d = await io.collect(ctx(1000));
    expect(d['disk.io.read.bytes']).toEqual([{ labels: { device: 'all' }, value: 4096 }]);
    expect(byLabel(d['disk.io.write.count'])).toEqual({ all: 20 });
  });

  it('are what buildCollectors picks off Linux, and produce a valid sample here', async () => {
    const cols = buildCollectors(undefined, 'darwin');
    expect(cols.map((c) => c.name)).toEqual(['cpu', 'memory', 'filesystem', 'diskio', 'netdev']);
    // systeminformation also works on Linux, so the portable set can be exercised end to end here.
    const r = new Runner(cols, { timeoutMs: 10_000 });
    await r.collect();
    const { sample, results } = await r.collect();
    expect(Sample.safeParse(sample).error?.issues ?? []).toEqual([]);
    expect(results.find((x) => x.name === 'cpu')?.ok).toBe(true);
    expect(sample.metrics['memory.total']).toBeGreaterThan(0);
  }, 30_000);
});
