// Who this host is on the wire: a stable id, its name, OS and agent version.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, release, type } from 'node:os';
import type { HostInfo } from '../protocol/index.ts';
import { AGENT_VERSION } from './version.ts';

/** Sanitises to the wire's id alphabet [A-Za-z0-9._-], at most 128 characters. */
export function toId(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 128) || 'host';
}

function readFirst(paths: string[]): string | null {
  for (const p of paths) {
    try {
      const t = readFileSync(p, 'utf8').trim();
      if (t) return t;
    } catch {
      // try the next one
    }
  }
  return null;
}

/**
 * Stable across reboots and renames: a hash of the machine id (hashed because the raw id is
 * meant to stay private to the machine), else the hostname.
 */
export function hostId(machineIdPaths = ['/etc/machine-id', '/var/lib/dbus/machine-id'], name = hostname()): string {
  const mid = readFirst(machineIdPaths);
  if (mid) return 'm-' + createHash('sha256').update(`pulse-agent:${mid}`).digest('hex').slice(0, 24);
  return toId(name);
}

/** "Debian GNU/Linux 12 (bookworm)" from os-release on Linux, else "Darwin 23.1.0" and the like. */
export function osName(osRelease = '/etc/os-release'): string {
  const text = process.platform === 'linux' ? readFirst([osRelease, '/usr/lib/os-release']) : null;
  const pretty = text && /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1];
  return (pretty || `${type()} ${release()}`).slice(0, 64);
}

export function hostInfo(overrides: { id?: string | null; name?: string | null } = {}): HostInfo {
  const name = overrides.name || hostname() || 'localhost';
  return {
    id: overrides.id ? toId(overrides.id) : hostId(undefined, name),
    name: name.slice(0, 255),
    os: osName(),
    agentVersion: AGENT_VERSION,
  };
}
