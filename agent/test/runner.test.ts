import { describe, expect, it } from 'vitest';
import { Sample } from '../../protocol/index.ts';
import { buildCollectors } from '../collectors/index.ts';
import { capSeries, Runner } from '../runner.ts';
import type { Collector } from '../types.ts';
import { byLabel, fixture, sysFixture } from './helpers.ts';

const ok = (name: string, metrics: Record<string, number>): Collector => ({ name, collect: async () => metrics });

describe('Runner', () => {
  it('keeps the others when one collector throws, hangs, or throws synchronously', async () => {
    const r = new Runner(
      [
        ok('memory', { 'memory.total': 1 }),
        { name: 'broken', collect: async () => { throw new Error('boom'); } },
        { name: 'sync', collect: () => { throw new Error('sync boom'); } },
        { name: 'hung', collect: () => new Promise(() => {}) },
        ok('load', { 'cpu.load.average.1m': 0.5 }),
      ],
      { timeoutMs: 50, now: () => 1_700_000_000_123.4 },
    );
    const t0 = performance.now();
    const { sample, results } = await r.collect();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sample.ts).toBe(1_700_000_000_123);
    expect(sample.metrics['memory.total']).toBe(1);
    expect(sample.metrics['cpu.load.average.1m']).toBe(0.5);
    expect(byLabel(sample.metrics['agent.collector.success'])).toEqual({ memory: 1, broken: 0, sync: 0, hung: 0, load: 1 });
    expect(byLabel(sample.metrics['agent.collector.duration']).hung).toBeGreaterThanOrEqual(45);
    expect(results.find((x) => x.name === 'broken')?.error).toBe('boom');
    expect(results.find((x) => x.name === 'hung')?.error).toMatch(/timed out/);
    expect(Sample.safeParse(sample).success).toBe(true);
  });

  it('does not start a collector again while its previous call is still running', async () => {
    let calls = 0;
    const r = new Runner([{ name: 'slow', collect: () => (calls++, new Promise(() => {})) }], { timeoutMs: 10 });
    await r.collect();
    const { results } = await r.collect();
    expect(calls).toBe(1);
    expect(results[0]).toMatchObject({ ok: false, error: 'previous collection still running' });
  });

  it('drops non-finite values rather than the sample', async () => {
    const r = new Runner([ok('odd', { 'memory.total': NaN, 'memory.free': 5 })]);
    const { sample } = await r.collect();
    expect(sample.metrics['memory.total']).toBeUndefined();
    expect(sample.metrics['memory.free']).toBe(5);
  });
});

describe('a full sample', () => {
  it('from fixture trees matches the wire schema, with rates from the second collection', async () => {
    let mono = 0;
    const clocks = { mono: () => mono, now: () => 1_700_000_000_000 + mono };
    // The collectors keep the counter baselines; each runner reads its own tree.
    const collectors = buildCollectors();
    const r = new Runner(collectors, { ...clocks, procRoot: fixture('server8'), sysRoot: sysFixture('server8') });
    // Fixture mounts name paths that may not exist here; statfs failures only skip those mounts.
    const first = await r.collect();
    expect(Sample.parse(first.sample)).toBeTruthy();
    expect(first.sample.metrics['cpu.usage.total']).toBeUndefined();
    mono = 5000;
    const later = new Runner(collectors, { ...clocks, procRoot: fixture('server8-later'), sysRoot: sysFixture('server8') });
    const second = await later.collect();
    const parsed = Sample.safeParse(second.sample);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(second.sample.metrics['cpu.usage.total']).toBe(45);
    expect(byLabel(second.sample.metrics['network.io.bytes.sent']).eth0).toBe(10000000);
    expect(byLabel(second.sample.metrics['disk.io.read.bytes']).nvme0n1).toBe(2048000);
    expect(byLabel(second.sample.metrics['agent.collector.success'])).toEqual({ cpu: 1, memory: 1, filesystem: 1, diskio: 1, netdev: 1, netconn: 1 });
  });

  it('from this machine matches the wire schema and every collector succeeds', async () => {
    const r = new Runner(buildCollectors());
    await r.collect();
    await new Promise((res) => setTimeout(res, 100));
    const { sample, results } = await r.collect();
    const parsed = Sample.safeParse(sample);
    expect(parsed.error?.issues ?? []).toEqual([]);
    if (process.platform === 'linux') {
      expect(results.filter((x) => !x.ok)).toEqual([]);
      expect(sample.metrics['cpu.usage.total']).toBeTypeOf('number');
      expect(sample.metrics['memory.total']).toBeGreaterThan(0);
    }
  });
});

describe('capSeries', () => {
  it('shortens the longest lists until the sample fits the series limit', () => {
    const list = (n: number, key: string) => Array.from({ length: n }, (_, i) => ({ labels: { [key]: `x${i}` }, value: i }));
    const m = { 'memory.total': 1, 'network.io.bytes.sent': list(900, 'interface'), 'network.io.bytes.recv': list(900, 'interface'), 'cpu.cores.usage': list(64, 'core') };
    expect(capSeries(m, 1000)).toBe(865);
    expect((m['network.io.bytes.sent'] as unknown[]).length + (m['network.io.bytes.recv'] as unknown[]).length).toBe(935);
    expect((m['cpu.cores.usage'] as unknown[]).length).toBe(64);
    expect(capSeries(m, 1000)).toBe(0);
  });

  it('is applied by the runner, reported as a failed "limits" entry', async () => {
    const many = Array.from({ length: 2100 }, (_, i) => ({ labels: { interface: `veth${i}` }, value: 1 }));
    const r = new Runner([{ name: 'netdev', collect: async () => ({ 'network.io.bytes.sent': many }) }]);
    const { sample, results } = await r.collect();
    expect(Sample.safeParse(sample).success).toBe(true);
    expect(results.find((x) => x.name === 'limits')?.error).toMatch(/dropped \d+ series/);
  });
});
