// The collector set for this platform, from the metrics section of the config.
import type { Collector } from '../types.ts';
import { cpuCollector } from './cpu.ts';
import { memoryCollector } from './memory.ts';
import { filesystemCollector } from './filesystem.ts';
import { diskIoCollector } from './diskio.ts';
import { netDevCollector } from './netdev.ts';
import { netConnCollector } from './netconn.ts';
import {
  portableCpuCollector,
  portableDiskIoCollector,
  portableFilesystemCollector,
  portableMemoryCollector,
  portableNetworkCollector,
} from './portable.ts';

export interface MetricsSettings {
  cpu: { enabled: boolean; perCpu: boolean };
  memory: { enabled: boolean };
  disk: {
    enabled: boolean;
    /** Devices, device names or filesystem types to skip (spec §7.2 exclude_devices). */
    excludeDevices: string[];
    /** Replaces the default pseudo-filesystem list when set. */
    excludeFsTypes: string[] | null;
    usageIntervalMs: number;
  };
  network: { enabled: boolean; interfaces: string[] | null; excludeInterfaces: string[] | null };
}

export const DEFAULT_METRICS: MetricsSettings = {
  cpu: { enabled: true, perCpu: true },
  memory: { enabled: true },
  disk: { enabled: true, excludeDevices: [], excludeFsTypes: null, usageIntervalMs: 30_000 },
  network: { enabled: true, interfaces: null, excludeInterfaces: null },
};

/** Linux reads /proc and statfs directly; other platforms use the portable set. */
export function buildCollectors(s: MetricsSettings = DEFAULT_METRICS, platform: string = process.platform): Collector[] {
  if (platform !== 'linux') return buildPortable(s, platform);
  const out: Collector[] = [];
  if (s.cpu.enabled) out.push(cpuCollector({ perCpu: s.cpu.perCpu }));
  if (s.memory.enabled) out.push(memoryCollector());
  if (s.disk.enabled) {
    out.push(
      filesystemCollector({
        excludeDevices: s.disk.excludeDevices,
        intervalMs: s.disk.usageIntervalMs,
        ...(s.disk.excludeFsTypes ? { excludeFsTypes: s.disk.excludeFsTypes } : {}),
      }),
    );
    out.push(diskIoCollector({ excludeDevices: s.disk.excludeDevices }));
  }
  if (s.network.enabled) {
    out.push(netDevCollector({ interfaces: s.network.interfaces, ...(s.network.excludeInterfaces ? { exclude: s.network.excludeInterfaces } : {}) }));
    out.push(netConnCollector());
  }
  return out;
}

function buildPortable(s: MetricsSettings, platform: string): Collector[] {
  const out: Collector[] = [];
  if (s.cpu.enabled) out.push(portableCpuCollector({ perCpu: s.cpu.perCpu, platform }));
  if (s.memory.enabled) out.push(portableMemoryCollector());
  if (s.disk.enabled) {
    out.push(
      portableFilesystemCollector({
        excludeDevices: s.disk.excludeDevices,
        intervalMs: s.disk.usageIntervalMs,
        ...(s.disk.excludeFsTypes ? { excludeFsTypes: s.disk.excludeFsTypes } : {}),
      }),
    );
    out.push(portableDiskIoCollector());
  }
  if (s.network.enabled) {
    out.push(portableNetworkCollector({ interfaces: s.network.interfaces, ...(s.network.excludeInterfaces ? { exclude: s.network.excludeInterfaces } : {}) }));
  }
  return out;
}
