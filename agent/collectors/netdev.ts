// Network I/O rates per interface from /proc/net/dev.
import type { Collector, Metrics } from '../types.ts';
import { RateTracker } from '../rate.ts';
import { globToRegExp, matchesAny, pushLabelled, readText, round } from '../procfs.ts';

export interface NetDevStats {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export function parseNetDev(text: string): NetDevStats[] {
  const out: NetDevStats[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    // The two header lines have '|' and no counters.
    if (colon < 0 || line.includes('|')) continue;
    const v = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (v.length < 16) continue;
    out.push({
      iface: line.slice(0, colon).trim(),
      rxBytes: v[0]!,
      rxPackets: v[1]!,
      rxErrors: v[2]!,
      rxDropped: v[3]!,
      txBytes: v[8]!,
      txPackets: v[9]!,
      txErrors: v[10]!,
      txDropped: v[11]!,
    });
  }
  return out;
}

export interface NetDevOptions {
  /** Only these interfaces (globs allowed, spec §7.2 network.interfaces); default all but the excluded. */
  interfaces?: readonly string[] | null;
  /** Default: loopback only. */
  exclude?: readonly string[];
}

const SERIES: ReadonlyArray<[string, keyof NetDevStats]> = [
  ['network.io.bytes.sent', 'txBytes'],
  ['network.io.bytes.recv', 'rxBytes'],
  ['network.io.packets.sent', 'txPackets'],
  ['network.io.packets.recv', 'rxPackets'],
  ['network.io.errors.in', 'rxErrors'],
  ['network.io.errors.out', 'txErrors'],
  ['network.io.dropped.in', 'rxDropped'],
  ['network.io.dropped.out', 'txDropped'],
];

export function netDevCollector(opts: NetDevOptions = {}): Collector {
  const tracker = new RateTracker();
  const include = opts.interfaces && opts.interfaces.length > 0 ? opts.interfaces.map(globToRegExp) : null;
  const exclude = (opts.exclude ?? ['lo']).map(globToRegExp);
  return {
    name: 'netdev',
    async collect(ctx) {
      const m: Metrics = {};
      for (const s of parseNetDev(await readText(ctx.procRoot, 'net/dev'))) {
        if (include ? !matchesAny(s.iface, include) : matchesAny(s.iface, exclude)) continue;
        for (const [name, field] of SERIES) {
          const r = tracker.rate(`${s.iface}.${field}`, s[field] as number, ctx.mono);
          if (r !== undefined) pushLabelled(m, name, 'interface', s.iface, round(r));
        }
      }
      tracker.sweep();
      return m;
    },
  };
}
