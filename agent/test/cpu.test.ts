import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuCollector, parseLoadavg, parseProcStat } from '../collectors/cpu.ts';
import { byLabel, ctxFor, fixture } from './helpers.ts';

describe('parseProcStat', () => {
  it('parses the aggregate and per-core lines of a real /proc/stat', () => {
    const s = parseProcStat(readFileSync(join(fixture('vm2'), 'stat'), 'utf8'));
    expect([...s.cores.keys()]).toEqual(['0', '1']);
    expect(s.total).toEqual({ user: 3517, nice: 0, system: 1804, idle: 69803, iowait: 205, irq: 0, softirq: 105, steal: 8 });
  });

  it('keeps kernel core numbers when a core is offline', () => {
    const s = parseProcStat(readFileSync(join(fixture('server8'), 'stat'), 'utf8'));
    expect([...s.cores.keys()]).toEqual(['0', '1', '2', '3', '4', '6', '7', '8']);
  });

  it('rejects text without the aggregate line', () => {
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(/cpu/);
  });
});

describe('parseLoadavg', () => {
  it('parses the three averages', () => {
    expect(parseLoadavg('3.52 2.10 1.05 4/812 99999\n')).toEqual({ load1: 3.52, load5: 2.1, load15: 1.05 });
    expect(() => parseLoadavg('garbage')).toThrow();
  });
});

describe('cpuCollector', () => {
  it('reports counts and loads at once, and usage only from the second collection', async () => {
    const c = cpuCollector();
    const first = await c.collect(ctxFor('server8', 0));
    expect(first).toEqual({ 'cpu.cores.count': 8, 'cpu.load.average.1m': 3.52, 'cpu.load.average.5m': 2.1, 'cpu.load.average.15m': 1.05 });

    const second = await c.collect(ctxFor('server8-later', 5000));
    expect(second['cpu.usage.total']).toBe(45);
    expect(second['cpu.usage.user']).toBe(32); // user + nice
    expect(second['cpu.usage.system']).toBe(13); // system + irq + softirq
    expect(second['cpu.usage.idle']).toBe(50);
    expect(second['cpu.usage.iowait']).toBe(5);
    expect(second['cpu.cores.count']).toBe(9);
    expect(second['cpu.load.average.1m']).toBe(4);
    // cpu5 just came online (no baseline); cpu7's iowait went backwards (no value this interval).
    expect(byLabel(second['cpu.cores.usage'])).toEqual({ '0': 45, '1': 45, '2': 45, '3': 45, '4': 45, '6': 45, '8': 100 });
  });

  it('omits per-core usage when per_cpu is off', async () => {
    const c = cpuCollector({ perCpu: false });
    await c.collect(ctxFor('server8', 0));
    const m = await c.collect(ctxFor('server8-later', 5000));
    expect(m['cpu.usage.total']).toBe(45);
    expect(m['cpu.cores.usage']).toBeUndefined();
  });

  it('computes usage from two real captures', async () => {
    const c = cpuCollector();
    await c.collect(ctxFor('vm2', 0));
    const m = await c.collect(ctxFor('vm2-later', 5000));
    const total = m['cpu.usage.total'] as number;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(100);
    const parts = ['user', 'system', 'idle', 'iowait'].map((k) => m[`cpu.usage.${k}`] as number);
    // The four parts plus steal (tiny here) cover the whole interval.
    expect(parts.reduce((a, b) => a + b, 0)).toBeGreaterThan(99.5);
    expect(Object.keys(byLabel(m['cpu.cores.usage']))).toEqual(['0', '1']);
  });
});
