import { describe, expect, it } from 'vitest';
import { fullSample, pointsIn } from '../../bench/full-sample.ts';
import type { Sample } from '../../protocol/ingest.ts';
import { labelsKey } from '../../protocol/series.ts';
import { blockPresence, decodeBlock, encodeBlock, type Block } from './raw-codec.ts';
import { blockMetricValues, blockToSamples, samplesToBlock, type SeriesRef } from './raw-samples.ts';
import { seededRandom as mulberry32 } from './seeded.ts';

/** A dictionary as the raw store keeps one. */
function dict() {
  const ids = new Map<string, number>();
  const refs: SeriesRef[] = [];
  return {
    idOf: (metric: string, labels: Record<string, string> | null) => {
      const key = `${metric}\u0000${labels === null ? '#' : labelsKey(labels)}`;
      let id = ids.get(key);
      if (id === undefined) {
        id = refs.length;
        ids.set(key, id);
        refs.push({ metric, labels });
      }
      return id;
    },
    seriesOf: (id: number) => refs[id]!,
  };
}

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function roundTrip(block: Block) {
  const back = decodeBlock(encodeBlock(block));
  expect(back.ts).toEqual(block.ts);
  const sorted = [...block.columns].filter((c) => c.values.length).sort((a, b) => a.id - b.id);
  expect(back.columns.map((c) => c.id)).toEqual(sorted.map((c) => c.id));
  back.columns.forEach((c, i) => {
    expect(c.index).toEqual(sorted[i]!.index);
    // Bit for bit, except -0, which JSON (the old row format) turned into 0 as well.
    expect(c.values.map((v) => (Object.is(v, -0) ? 'neg0' : v))).toEqual(sorted[i]!.values.map((v) => (v === 0 ? 0 : v)));
  });
}

describe('raw block codec', () => {
  it('round-trips decimal, integer, huge, tiny, non-decimal and constant columns exactly', () => {
    const ts = Array.from({ length: 60 }, (_, i) => 1_764_000_000_000 + i * 5000 + (i % 7 === 0 ? 3 : 0));
    const rnd = mulberry32(7);
    const cols = [
      ts.map((_, i) => Math.round((20 + 10 * Math.sin(i / 5)) * 100) / 100),
      ts.map(() => Math.round(rnd() * 2 ** 40)),
      ts.map(() => 0.1 + 0.2), // 0.30000000000000004: no decimal scale round-trips
      ts.map(() => rnd() * 1e-300),
      ts.map(() => Number.MAX_VALUE * (rnd() - 0.5)),
      ts.map(() => 42),
      ts.map((_, i) => (i % 2 ? -0 : -1.5)),
      ts.map((_, i) => (i % 2 ? 2 ** 50 : -(2 ** 50))), // delta-of-delta past 32 bits: float64
      ts.map(() => Math.round((rnd() - 0.5) * 1e6) / 1e3),
    ];
    roundTrip({ ts, columns: cols.map((values, id) => ({ id: id * 3 + 1, index: ts.map((_, i) => i), values })) });
  });

  it('round-trips sparse columns, single samples and empty blocks', () => {
    roundTrip({ ts: [5], columns: [{ id: 0, index: [0], values: [1.25] }] });
    roundTrip({ ts: [], columns: [] });
    const ts = Array.from({ length: 13 }, (_, i) => 1000 + i * 5000);
    roundTrip({
      ts,
      columns: [
        { id: 9, index: [0, 5, 12], values: [1, 2, 3.5] },
        { id: 2, index: [7], values: [-4] },
        { id: 4, index: [1, 2], values: [1e20, -1e-20] },
        { id: 5, index: [], values: [] },
      ],
    });
    const p = blockPresence(encodeBlock({ ts, columns: [{ id: 3, index: [2, 3], values: [1, 2] }] }));
    expect(p).toEqual({ ts, columns: [{ id: 3, index: [2, 3], values: [] }] });
  });

  it('round-trips random columns (property check)', () => {
    const rnd = mulberry32(99);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rnd() * 80);
      let at = Math.floor(rnd() * 2e12);
      const ts = Array.from({ length: n }, () => (at += 1 + Math.floor(rnd() * 10_000)));
      const columns = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, id) => {
        const index = ts.map((_, i) => i).filter(() => rnd() < 0.7);
        const kind = Math.floor(rnd() * 4);
        const values = index.map(() =>
          kind === 0 ? Math.round(rnd() * 1e4) / 100 : kind === 1 ? Math.round((rnd() - 0.5) * 2 ** 52) : kind === 2 ? (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20) : Math.floor(rnd() * 3),
        );
        return { id, index, values };
      });
      roundTrip({ ts, columns });
    }
  });

  it('turns samples into blocks and back, as JSON did, with labels, sparse metrics and merged timestamps', () => {
    const d = dict();
    const samples: Sample[] = [];
    for (let i = 0; i < 60; i++) samples.push(fullSample(1_764_000_000_000 + i * 5000, 3));
    samples[10] = { ts: samples[10]!.ts, metrics: { 'cpu.usage.total': 5 } }; // a sparse one
    samples.push({ ts: samples[20]!.ts + 1, metrics: { 'custom.x': [{ labels: { b: '2', a: '1' }, value: 1 }] } });
    const block = samplesToBlock(samples, d.idOf);
    const back = blockToSamples(decodeBlock(encodeBlock(block)), d.seriesOf);
    expect(back).toEqual(json([...samples].sort((a, b) => a.ts - b.ts)));
    // Two samples at one timestamp (a second sender's metrics) merge into one.
    const merged = blockToSamples(decodeBlock(encodeBlock(samplesToBlock([{ ts: 1, metrics: { a: 1 } }, { ts: 1, metrics: { b: 2 } }] as Sample[], d.idOf))), d.seriesOf);
    expect(merged).toEqual([{ ts: 1, metrics: { a: 1, b: 2 } }]);
  });

  it('extracts one metric, as a number or as its labelled list', () => {
    const d = dict();
    const samples = [0, 1, 2].map((i) => fullSample(1_764_000_000_000 + i * 5000, 1));
    const data = encodeBlock(samplesToBlock(samples, d.idOf));
    const idsOf = (metric: string) => new Set(Array.from({ length: 200 }, (_, i) => i).filter((i) => { try { return d.seriesOf(i).metric === metric; } catch { return false; } }));
    expect(blockMetricValues(data, idsOf('cpu.usage.total'), d.seriesOf)).toEqual(samples.map((s) => ({ ts: s.ts, value: s.metrics['cpu.usage.total'] })));
    expect(blockMetricValues(data, idsOf('cpu.cores.usage'), d.seriesOf)).toEqual(samples.map((s) => ({ ts: s.ts, value: s.metrics['cpu.cores.usage'] })));
    expect(blockMetricValues(data, new Set(), d.seriesOf)).toEqual([]);
  });

  it('stores the benchmark full sample in under 2 bytes per point (payload)', () => {
    const d = dict();
    const samples = Array.from({ length: 60 }, (_, i) => fullSample(1_764_000_000_000 + i * 5000, 5));
    const bytes = encodeBlock(samplesToBlock(samples, d.idOf)).length;
    const points = samples.reduce((a, s) => a + pointsIn(s), 0);
    expect(bytes / points).toBeLessThan(2);
  });
});

describe('BlockBuilder', () => {
  it('orders out-of-order arrivals by timestamp, and its block decodes to the samples sent', async () => {
    const { BlockBuilder } = await import('./raw-samples.ts');
    const d = dict();
    const b = new BlockBuilder();
    const samples = [3, 1, 2, 0].map((i) => fullSample(1_764_000_000_000 + i * 5000, 2));
    for (const s of samples)
      for (const [metric, v] of Object.entries(s.metrics)) {
        if (typeof v === 'number') b.add(s.ts, d.idOf(metric, null), v);
        else for (const lv of v) b.add(s.ts, d.idOf(metric, lv.labels), lv.value);
      }
    expect(b.size).toBe(4);
    expect(b.minTs()).toBe(1_764_000_000_000);
    expect(b.minTs(1_764_000_000_001)).toBe(1_764_000_005_000);
    expect(b.maxTs()).toBe(1_764_000_015_000);
    const back = blockToSamples(decodeBlock(encodeBlock(b.toBlock())), d.seriesOf);
    expect(back).toEqual(json([...samples].sort((x, y) => x.ts - y.ts)));
  });
});
