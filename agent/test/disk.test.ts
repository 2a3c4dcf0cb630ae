import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskIoCollector, parseDiskstats } from '../collectors/diskio.ts';
import {
  DEFAULT_EXCLUDED_FS_TYPES,
  DEFAULT_EXCLUDED_MOUNTS,
  filesystemCollector,
  parseMounts,
  selectMounts,
  type StatFsResult,
} from '../collectors/filesystem.ts';
import { byLabel, ctxFor, fixture, sysFixture } from './helpers.ts';

const read = (m: string, f: string) => readFileSync(join(fixture(m), f), 'utf8');
const defaults = { excludeFsTypes: DEFAULT_EXCLUDED_FS_TYPES, excludeDevices: [], excludeMounts: DEFAULT_EXCLUDED_MOUNTS };

describe('mounts', () => {
  it('decodes octal escapes in mount points', () => {
    expect(parseMounts(read('server8', 'mounts')).find((m) => m.device === '/dev/sda1')?.mountPoint).toBe('/mnt/backup disk');
  });

  it('keeps real filesystems once each and drops pseudo filesystems and runtime mounts', () => {
    const sel = selectMounts(parseMounts(read('server8', 'mounts')), defaults).map((m) => m.mountPoint);
    // /srv/data is the root device again; docker's layers and the snap squashfs are excluded.
    expect(sel).toEqual(['/', '/boot/efi', '/home', '/mnt/backup disk', '/mnt/nfs']);
  });

  it('honours exclude_devices by fs type, device name or device path', () => {
    const sel = selectMounts(parseMounts(read('server8', 'mounts')), { ...defaults, excludeDevices: ['vfat', 'sda1', '/dev/mapper/vg-home'] });
    expect(sel.map((m) => m.mountPoint)).toEqual(['/', '/mnt/nfs']);
  });

  it('can include pseudo filesystems when the fs type list is replaced', () => {
    const sel = selectMounts(parseMounts(read('vm2', 'mounts')), { ...defaults, excludeFsTypes: [] });
    expect(sel.map((m) => m.mountPoint)).toContain('/mnt/sandboxing/model_tools_env/v1/python');
    const def = selectMounts(parseMounts(read('vm2', 'mounts')), defaults);
    expect(def.map((m) => m.mountPoint)).toEqual(['/']);
  });
});

const fs4k = (blocks: number, bfree: number, bavail: number, files: number, ffree: number): StatFsResult => ({ bsize: 4096, blocks, bfree, bavail, files, ffree });

describe('filesystemCollector', () => {
  const stats: Record<string, StatFsResult> = {
    '/': fs4k(1000, 400, 300, 100, 25),
    '/boot/efi': fs4k(100, 50, 50, 0, 0), // vfat: no inode table
    '/home': fs4k(2000, 1000, 1000, 0, 0),
    '/mnt/backup disk': fs4k(10, 10, 10, 10, 10),
  };

  it('reports space df-style and inodes where the filesystem has them, skipping failing and hung mounts', async () => {
    const calls: string[] = [];
    const c = filesystemCollector({
      statfsTimeoutMs: 50,
      statfs: (p) => {
        calls.push(p);
        if (p === '/mnt/nfs') return new Promise(() => {}); // a hung NFS server
        const s = stats[p];
        return s ? Promise.resolve(s) : Promise.reject(Object.assign(new Error('EACCES'), { code: 'EACCES' }));
      },
    });
    const m = await c.collect(ctxFor('server8', 0));
    expect(byLabel(m['disk.usage.total'])).toEqual({ '/': 4096000, '/boot/efi': 409600, '/home': 8192000, '/mnt/backup disk': 40960 });
    expect(byLabel(m['disk.usage.used'])['/']).toBe(600 * 4096);
    expect(byLabel(m['disk.usage.free'])['/']).toBe(300 * 4096);
    expect(byLabel(m['disk.usage.percent'])['/']).toBe(66.67); // 600 / (600 + 300)
    expect(byLabel(m['disk.inode.total'])).toEqual({ '/': 100, '/mnt/backup disk': 10 });
    expect(byLabel(m['disk.inode.used'])['/']).toBe(75);
    expect(byLabel(m['disk.inode.usage.percent'])['/']).toBe(75);

    // Within the 30 s interval nothing is collected.
    expect(await c.collect(ctxFor('server8', 10_000))).toEqual({});
    // Next round: the still-hung mount is not statfs'd again.
    calls.length = 0;
    await c.collect(ctxFor('server8', 30_000));
    expect(calls).not.toContain('/mnt/nfs');
    expect(calls).toContain('/');
  });

  it('statfs the host filesystems under rootFs from a container', async () => {
    const calls: string[] = [];
    const c = filesystemCollector({ statfs: async (p) => (calls.push(p), fs4k(1, 1, 1, 1, 1)) });
    await c.collect({ ...ctxFor('vm2', 0), rootFs: '/host' });
    expect(calls).toEqual(['/host/']);
  });

  it('works against the real root filesystem', async () => {
    const m = await filesystemCollector().collect({ ...ctxFor('vm2', 0) });
    expect(byLabel(m['disk.usage.total'])['/']).toBeGreaterThan(0);
  });
});

describe('parseDiskstats', () => {
  it('reads both the 14-field and the extended formats', () => {
    const d = parseDiskstats(read('server8', 'diskstats'));
    expect(d.map((x) => x.device)).toContain('sda');
    expect(d.find((x) => x.device === 'nvme0n1')).toEqual({
      device: 'nvme0n1', readsCompleted: 100000, sectorsRead: 8000000, readMs: 40000,
      writesCompleted: 200000, sectorsWritten: 16000000, writeMs: 90000,
    });
  });
});

describe('diskIoCollector', () => {
  const sysRoot = sysFixture('server8');

  it('turns counters into per-second rates for whole disks only, dropping wrapped and reset counters', async () => {
    const c = diskIoCollector();
    expect(await c.collect({ ...ctxFor('server8', 0), sysRoot })).toEqual({});
    const m = await c.collect({ ...ctxFor('server8-later', 5000), sysRoot });
    // Whole disks are the entries of /sys/block: rbd0 in, its partition rbd0p1 out.
    expect(byLabel(m['disk.io.read.bytes'])).toEqual({ nvme0n1: 2048000, sda: 1024000, rbd0: 102400 });
    expect(byLabel(m['disk.io.write.bytes'])).toEqual({ nvme0n1: 4096000, sda: 0, rbd0: 0 });
    // sda's 32-bit read counters wrapped; dm-0 was recreated (all counters smaller): no values.
    expect(byLabel(m['disk.io.read.count'])).toEqual({ nvme0n1: 100, rbd0: 100 });
    expect(byLabel(m['disk.io.write.count'])).toEqual({ nvme0n1: 200, sda: 0, rbd0: 0 });
    expect(byLabel(m['disk.io.read.time'])).toEqual({ nvme0n1: 50, rbd0: 2 });
    expect(byLabel(m['disk.io.write.time'])).toEqual({ nvme0n1: 100, sda: 0, rbd0: 0 });
  });

  it('falls back to partition names when /sys/block is unreadable', async () => {
    const c = diskIoCollector({ excludeDevices: ['/dev/rbd0'] });
    await c.collect(ctxFor('server8', 0));
    const m = await c.collect(ctxFor('server8-later', 5000));
    // nvme0n1p1, sda1 are known partition names; rbd0p1 is not, so it shows up here.
    expect(Object.keys(byLabel(m['disk.io.read.bytes']))).toEqual(['nvme0n1', 'sda', 'rbd0p1']);
  });

  it('measures the write burst between the two real captures', async () => {
    const c = diskIoCollector({ excludeDevices: ['/dev/zram0'] });
    await c.collect(ctxFor('vm2', 0));
    const m = await c.collect(ctxFor('vm2-later', 5000));
    // 50 MiB were written with fsync between the captures.
    expect(byLabel(m['disk.io.write.bytes']).vda).toBeGreaterThan(50 * 1024 * 1024 / 5 * 0.9);
    expect(Object.keys(byLabel(m['disk.io.write.bytes']))).toEqual(['vda']);
  });
});
