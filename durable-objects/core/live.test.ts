import { describe, expect, it } from 'vitest';
import { LiveWindow } from './live.ts';

const s = (ts: number, metrics: Record<string, number | { labels: Record<string, string>; value: number }[]>) => ({ ts, metrics });

describe('LiveWindow', () => {
  it('keeps whole samples for its span and latest values for the longer one', () => {
    const w = new LiveWindow(60_000, 600_000);
    w.add(s(0, { 'disk.usage.percent': [{ labels: { mount: '/' }, value: 40 }] }));
    for (let t = 5000; t <= 300_000; t += 5000) w.add(s(t, { 'cpu.usage.total': t / 5000 }));
    expect(w.recent()[0]!.ts).toBe(240_000);
    expect(w.recent().length).toBe(13);
    // The disk value (30 s metrics) is still current 5 minutes later...
    expect(w.current().map((v) => v.metric)).toEqual(['cpu.usage.total', 'disk.usage.percent']);
    // ...and dropped once silent for the whole latest span (a removed disk).
    for (let t = 305_000; t <= 610_000; t += 5000) w.add(s(t, { 'cpu.usage.total': 1 }));
    expect(w.current().map((v) => v.metric)).toEqual(['cpu.usage.total']);
  });

  it('orders a late sample and never lets it overwrite a newer latest value', () => {
    const w = new LiveWindow(60_000);
    w.add(s(10_000, { 'cpu.usage.total': 10 }));
    w.add(s(20_000, { 'cpu.usage.total': 20 }));
    w.add(s(15_000, { 'cpu.usage.total': 15 }));
    expect(w.recent().map((x) => x.ts)).toEqual([10_000, 15_000, 20_000]);
    expect(w.current()[0]).toMatchObject({ value: 20, ts: 20_000 });
    expect(w.lastSeen).toBe(20_000);
  });
});
