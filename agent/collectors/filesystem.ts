// Filesystem space and inodes per mount point via statfs, on a slower cadence (default 30 s).
import { statfs as fsStatfs } from 'node:fs/promises';
import type { Collector, Metrics } from '../types.ts';
import { pushLabelled, readText, round } from '../procfs.ts';

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

/** Pseudo and virtual filesystems that say nothing about disk space. */
export const DEFAULT_EXCLUDED_FS_TYPES: readonly string[] = [
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs',
  'efivarfs', 'fusectl', 'fuse.lxcfs', 'fuse.gvfsd-fuse', 'hugetlbfs', 'iso9660', 'mqueue', 'nsfs',
  'overlay', 'proc', 'pstore', 'ramfs', 'rpc_pipefs', 'securityfs', 'selinuxfs', 'squashfs', 'sysfs',
  'tmpfs', 'tracefs', 'nfsd',
];

/** Mount points owned by the kernel or by container runtimes (per-container layers). */
export const DEFAULT_EXCLUDED_MOUNTS = /^\/(dev|proc|sys|run\/credentials\/.+|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+|var\/lib\/kubelet\/.+|snap\/.+)($|\/)/;

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const p = line.split(' ');
    if (p.length < 3) continue;
    out.push({ device: unescapeMount(p[0]!), mountPoint: unescapeMount(p[1]!), fsType: p[2]! });
  }
  return out;
}

export interface MountFilter {
  excludeFsTypes: readonly string[];
  /** Matched against the device path, its basename, and the filesystem type (spec §7.2 exclude_devices). */
  excludeDevices: readonly string[];
  excludeMounts: RegExp;
}

/**
 * Mounts worth reporting: real filesystems, each mount point once (the last mount on a path hides
 * the earlier ones) and each block device once (bind mounts and btrfs subvolumes share its space;
 * the shortest mount point wins).
 */
export function selectMounts(mounts: Mount[], f: MountFilter): Mount[] {
  const byPath = new Map<string, Mount>();
  for (const m of mounts) byPath.set(m.mountPoint, m);
  const byDevice = new Map<string, Mount>();
  const out: Mount[] = [];
  for (const m of byPath.values()) {
    const base = m.device.slice(m.device.lastIndexOf('/') + 1);
    if (f.excludeFsTypes.includes(m.fsType)) continue;
    if (f.excludeDevices.includes(m.device) || f.excludeDevices.includes(base) || f.excludeDevices.includes(m.fsType)) continue;
    if (f.excludeMounts.test(m.mountPoint)) continue;
    if (m.device.startsWith('/dev/')) {
      const prev = byDevice.get(m.device);
      if (prev && prev.mountPoint.length <= m.mountPoint.length) continue;
      byDevice.set(m.device, m);
      continue;
    }
    out.push(m);
  }
  return [...out, ...byDevice.values()].sort((a, b) => a.mountPoint.localeCompare(b.mountPoint));
}

export interface StatFsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** df-style numbers: free is what unprivileged users can use; percent is used / (used + free). */
export function usageMetrics(m: Metrics, mount: string, s: StatFsResult): void {
  const total = s.blocks * s.bsize;
  if (total <= 0) return;
  const used = (s.blocks - s.bfree) * s.bsize;
  const free = s.bavail * s.bsize;
  pushLabelled(m, 'disk.usage.total', 'mount', mount, total);
  pushLabelled(m, 'disk.usage.used', 'mount', mount, used);
  pushLabelled(m, 'disk.usage.free', 'mount', mount, free);
  pushLabelled(m, 'disk.usage.percent', 'mount', mount, used + free > 0 ? round((used * 100) / (used + free)) : 0);
  // Some filesystems (btrfs, vfat) report no inode table.
  if (s.files > 0) {
    const iused = s.files - s.ffree;
    pushLabelled(m, 'disk.inode.total', 'mount', mount, s.files);
    pushLabelled(m, 'disk.inode.used', 'mount', mount, iused);
    pushLabelled(m, 'disk.inode.usage.percent', 'mount', mount, round((iused * 100) / s.files));
  }
}

export interface FilesystemOptions {
  excludeFsTypes?: readonly string[];
  excludeDevices?: readonly string[];
  excludeMounts?: RegExp;
  /** How often to statfs (default 30 s); in between, the collector returns nothing. */
  intervalMs?: number;
  /** Give up on one mount's statfs after this long (a hung NFS server must not hold the others). */
  statfsTimeoutMs?: number;
  statfs?: (path: string) => Promise<StatFsResult>;
}

export function filesystemCollector(opts: FilesystemOptions = {}): Collector {
  const filter: MountFilter = {
    excludeFsTypes: opts.excludeFsTypes ?? DEFAULT_EXCLUDED_FS_TYPES,
    excludeDevices: opts.excludeDevices ?? [],
    excludeMounts: opts.excludeMounts ?? DEFAULT_EXCLUDED_MOUNTS,
  };
  const intervalMs = opts.intervalMs ?? 30_000;
  // Below the runner's 2 s collector timeout, so one hung mount costs only itself.
  const timeoutMs = opts.statfsTimeoutMs ?? 1_000;
  const statfs = opts.statfs ?? ((p: string) => fsStatfs(p) as Promise<StatFsResult>);
  // Mounts whose statfs has not returned yet: skipped until it does, so stuck calls don't pile up.
  const stuck = new Set<string>();
  let lastRun: number | undefined;

  return {
    name: 'filesystem',
    async collect(ctx) {
      if (lastRun !== undefined && ctx.mono - lastRun < intervalMs) return {};
      lastRun = ctx.mono;
      const mounts = selectMounts(parseMounts(await readText(ctx.procRoot, 'mounts')), filter);
      const m: Metrics = {};
      const results = await Promise.all(
        mounts.map(async (mt) => {
          if (stuck.has(mt.mountPoint)) return null;
          stuck.add(mt.mountPoint);
          const p = Promise.resolve()
            .then(() => statfs(ctx.rootFs + mt.mountPoint))
            .finally(() => stuck.delete(mt.mountPoint));
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<null>((res) => (timer = setTimeout(res, timeoutMs, null)));
          try {
            return await Promise.race([p, timeout]);
          } catch {
            return null; // permission denied or vanished mount: skip it, keep the others
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      mounts.forEach((mt, i) => {
        const s = results[i];
        if (s) usageMetrics(m, mt.mountPoint, s);
      });
      return m;
    },
  };
}
