// Disk I/O rates per block device from /proc/diskstats.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Collector, Metrics } from '../types.ts';
import { RateTracker } from '../rate.ts';
import { pushLabelled, readText, round } from '../procfs.ts';

export interface DiskStats {
  device: string;
  readsCompleted: number;
  sectorsRead: number;
  readMs: number;
  writesCompleted: number;
  sectorsWritten: number;
  writeMs: number;
}

/** diskstats always counts 512-byte sectors, whatever the device's real sector size. */
const SECTOR = 512;

export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const p = line.trim().split(/\s+/);
    if (p.length < 14) continue;
    const n = (i: number) => Number(p[i]);
    out.push({
      device: p[2]!,
      readsCompleted: n(3),
      sectorsRead: n(5),
      readMs: n(6),
      writesCompleted: n(7),
      sectorsWritten: n(9),
      writeMs: n(10),
    });
  }
  return out;
}

/** Loop, ram and floppy/cdrom devices: no real disk traffic. */
export const VIRTUAL_DISKS = /^(z?ram\d+|loop\d+|fd\d+|sr\d+)$/;
/** Partitions by name, used when /sys/block cannot be read (they are counted again in their disk). */
export const PARTITIONS = /^((h|s|v|xv)d[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+|md\d+p\d+)$/;

/** Whole block devices: the entries of /sys/block (partitions live below their disk). Null if unreadable. */
async function wholeDisks(sysRoot: string): Promise<Set<string> | null> {
  try {
    return new Set(readdirSync(join(sysRoot, 'block'))); // sysfs: memory-backed, see procfs.ts
  } catch {
    return null;
  }
}

export interface DiskIoOptions {
  excludeDevices?: readonly string[];
  /** Default: VIRTUAL_DISKS. */
  exclude?: RegExp;
}

export function diskIoCollector(opts: DiskIoOptions = {}): Collector {
  const tracker = new RateTracker();
  const exclude = opts.exclude ?? VIRTUAL_DISKS;
  const names = new Set((opts.excludeDevices ?? []).map((d) => d.replace(/^\/dev\//, '')));
  return {
    name: 'diskio',
    async collect(ctx) {
      const m: Metrics = {};
      const [text, disks] = await Promise.all([readText(ctx.procRoot, 'diskstats'), wholeDisks(ctx.sysRoot)]);
      for (const d of parseDiskstats(text)) {
        if (exclude.test(d.device) || names.has(d.device)) continue;
        if (disks ? !disks.has(d.device) : PARTITIONS.test(d.device)) continue;
        const rate = (field: string, v: number) => tracker.rate(`${d.device}.${field}`, v, ctx.mono);
        const put = (name: string, v: number | undefined) => {
          if (v !== undefined) pushLabelled(m, name, 'device', d.device, round(v));
        };
        const rs = rate('rs', d.sectorsRead);
        const ws = rate('ws', d.sectorsWritten);
        put('disk.io.read.bytes', rs === undefined ? undefined : rs * SECTOR);
        put('disk.io.write.bytes', ws === undefined ? undefined : ws * SECTOR);
        put('disk.io.read.count', rate('r', d.readsCompleted));
        put('disk.io.write.count', rate('w', d.writesCompleted));
        // ms spent per second of wall time (can exceed 1000 with parallel requests).
        put('disk.io.read.time', rate('rt', d.readMs));
        put('disk.io.write.time', rate('wt', d.writeMs));
      }
      tracker.sweep();
      return m;
    },
  };
}
