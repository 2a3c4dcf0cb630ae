import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netDevCollector, parseNetDev } from '../collectors/netdev.ts';
import { connectionCounts, netConnCollector, parseSnmp, parseSockstat } from '../collectors/netconn.ts';
import { byLabel, ctxFor, fixture } from './helpers.ts';

const read = (m: string, f: string) => readFileSync(join(fixture(m), f), 'utf8');

describe('parseNetDev', () => {
  it('skips the headers and reads receive and transmit columns', () => {
    const d = parseNetDev(read('vm2', 'net/dev'));
    expect(d.map((x) => x.iface)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    const eth1 = parseNetDev(read('server8-later', 'net/dev')).find((x) => x.iface === 'eth1');
    expect(eth1).toMatchObject({ rxBytes: 105000000, rxPackets: 105000, txBytes: 52500000, txPackets: 62500, txDropped: 2 });
  });
});

describe('netDevCollector', () => {
  it('reports per-second rates, excludes loopback, and drops a wrapped counter for one interval', async () => {
    const c = netDevCollector();
    expect(await c.collect(ctxFor('server8', 0))).toEqual({});
    const m = await c.collect(ctxFor('server8-later', 5000));
    // eth0's 32-bit rx byte counter wrapped; veth9z8y7x is new (no baseline).
    expect(byLabel(m['network.io.bytes.recv'])).toEqual({ eth1: 1000000, docker0: 0 });
    expect(byLabel(m['network.io.bytes.sent'])).toEqual({ eth0: 10000000, eth1: 500000, docker0: 0 });
    expect(byLabel(m['network.io.packets.recv'])).toEqual({ eth0: 1000, eth1: 1000, docker0: 0 });
    expect(byLabel(m['network.io.packets.sent'])).toEqual({ eth0: 500, eth1: 500, docker0: 0 });
    expect(byLabel(m['network.io.errors.in']).eth0).toBe(1);
    expect(byLabel(m['network.io.dropped.out']).eth1).toBe(0.4);
  });

  it('limits to the configured interfaces, with globs', async () => {
    const c = netDevCollector({ interfaces: ['eth*'] });
    await c.collect(ctxFor('server8', 0));
    const m = await c.collect(ctxFor('server8-later', 5000));
    expect(Object.keys(byLabel(m['network.io.packets.recv']))).toEqual(['eth0', 'eth1']);
  });
});

describe('connection counts', () => {
  it('adds IPv4 and IPv6 sockets and reads established and time_wait from kernel counters', async () => {
    const m = await netConnCollector().collect(ctxFor('server8', 0));
    expect(m).toEqual({
      'network.connections.tcp': 335,
      'network.connections.udp': 15,
      'network.connections.established': 204,
      'network.connections.time_wait': 845,
    });
  });

  it('parses snmp header/value pairs per protocol', () => {
    const s = parseSnmp(read('vm2', 'net/snmp'));
    expect(s.get('Tcp.CurrEstab')).toBe(0);
    expect(s.get('Tcp.MaxConn')).toBe(-1);
    expect(s.get('Udp.OutDatagrams')).toBe(46);
  });

  it('works without sockstat6 (IPv6 disabled)', () => {
    const c = connectionCounts(parseSockstat(read('server8', 'net/sockstat')), null, new Map());
    expect(c).toEqual({ tcp: 310, udp: 12, established: 0, timeWait: 845 });
  });
});
