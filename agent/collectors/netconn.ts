// Connection counts from kernel counters (sockstat, snmp) rather than listing every socket,
// which on a busy server means reading megabytes of /proc/net/tcp every 5 s.
import type { Collector } from '../types.ts';
import { readOptional, readText } from '../procfs.ts';

/** "TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0" lines → {"TCP.inuse": 1, "TCP.tw": 0, ...}. */
export function parseSockstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const proto = line.slice(0, colon);
    const p = line.slice(colon + 1).trim().split(/\s+/);
    for (let i = 0; i + 1 < p.length; i += 2) out.set(`${proto}.${p[i]}`, Number(p[i + 1]));
  }
  return out;
}

/** /proc/net/snmp: pairs of header/value lines per protocol → {"Tcp.CurrEstab": 3, ...}. */
export function parseSnmp(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const h = lines[i]!.split(/\s+/);
    const v = lines[i + 1]!.split(/\s+/);
    const proto = h[0]!.replace(/:$/, '');
    if (proto !== v[0]?.replace(/:$/, '')) continue;
    for (let j = 1; j < h.length && j < v.length; j++) out.set(`${proto}.${h[j]}`, Number(v[j]));
  }
  return out;
}

export interface ConnectionCounts {
  tcp: number;
  udp: number;
  established: number;
  timeWait: number;
}

/**
 * tcp/udp: sockets in use (IPv4 + IPv6, listeners included, TIME_WAIT not).
 * time_wait: TIME_WAIT sockets of both families (the kernel keeps one count).
 * established: Tcp CurrEstab, the kernel's count of ESTABLISHED plus CLOSE_WAIT connections.
 */
export function connectionCounts(sock4: Map<string, number>, sock6: Map<string, number> | null, snmp: Map<string, number>): ConnectionCounts {
  const g = (m: Map<string, number> | null, k: string) => m?.get(k) ?? 0;
  return {
    tcp: g(sock4, 'TCP.inuse') + g(sock6, 'TCP6.inuse'),
    udp: g(sock4, 'UDP.inuse') + g(sock6, 'UDP6.inuse'),
    established: g(snmp, 'Tcp.CurrEstab'),
    timeWait: g(sock4, 'TCP.tw'),
  };
}

export function netConnCollector(): Collector {
  return {
    name: 'netconn',
    async collect(ctx) {
      const [s4, s6, snmp] = await Promise.all([
        readText(ctx.procRoot, 'net/sockstat'),
        readOptional(ctx.procRoot, 'net/sockstat6'),
        readText(ctx.procRoot, 'net/snmp'),
      ]);
      const c = connectionCounts(parseSockstat(s4), s6 === null ? null : parseSockstat(s6), parseSnmp(snmp));
      return {
        'network.connections.tcp': c.tcp,
        'network.connections.udp': c.udp,
        'network.connections.established': c.established,
        'network.connections.time_wait': c.timeWait,
      };
    },
  };
}
