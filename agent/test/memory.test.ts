import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryCollector, memoryMetrics, parseMeminfo } from '../collectors/memory.ts';
import { ctxFor, fixture } from './helpers.ts';

const KB = 1024;

describe('parseMeminfo', () => {
  it('converts kB to bytes and keeps unitless counts as they are', () => {
    const mi = parseMeminfo('MemTotal:       1000 kB\nHugePages_Total:       7\n');
    expect(mi.get('MemTotal')).toBe(1000 * KB);
    expect(mi.get('HugePages_Total')).toBe(7);
  });
});

describe('memory metrics', () => {
  it('computes used from available, cached with reclaimable slab, and swap usage', async () => {
    const m = await memoryCollector().collect(ctxFor('server8', 0));
    expect(m['memory.total']).toBe(32768000 * KB);
    expect(m['memory.available']).toBe(16384000 * KB);
    expect(m['memory.used']).toBe(16384000 * KB);
    expect(m['memory.free']).toBe(2048000 * KB);
    expect(m['memory.buffers']).toBe(512000 * KB);
    expect(m['memory.cached']).toBe((8192000 + 1024000) * KB);
    expect(m['memory.usage.percent']).toBe(50);
    expect(m['swap.total']).toBe(4096000 * KB);
    expect(m['swap.used']).toBe(1024000 * KB);
    expect(m['swap.free']).toBe(3072000 * KB);
    expect(m['swap.usage.percent']).toBe(25);
  });

  it('reports 0 % swap on a machine without swap', () => {
    const m = memoryMetrics(parseMeminfo(readFileSync(join(fixture('vm2'), 'meminfo'), 'utf8')));
    expect(m['swap.total']).toBe(0);
    expect(m['swap.usage.percent']).toBe(0);
    expect(m['memory.used']).toBe((m['memory.total'] as number) - (m['memory.available'] as number));
  });

  it('approximates available on kernels without MemAvailable', () => {
    const m = memoryMetrics(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n'));
    expect(m['memory.available']).toBe(350 * KB);
    expect(m['memory.usage.percent']).toBe(65);
  });

  it('fails loudly on a file without MemTotal', () => {
    expect(() => memoryMetrics(parseMeminfo('Foo: 1 kB\n'))).toThrow(/MemTotal/);
  });
});
