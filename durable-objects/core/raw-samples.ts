// Samples <-> raw blocks (core/raw-codec.ts). A series is a metric with its labels, or a plain
// number (labels null); the caller's dictionary gives each a small integer id.
import type { LabelledValue, Sample } from '../../protocol/ingest.ts';
import type { Labels } from '../../protocol/series.ts';
import { decodeBlock, type Block, type Column } from './raw-codec.ts';

export interface SeriesRef {
  metric: string;
  /** null: the metric's value is a plain number; else one labelled value of its list. */
  labels: Labels | null;
}

/** Calls fn for each series value of a sample. */
export function forEachSeries(s: Sample, fn: (metric: string, labels: Labels | null, value: number) => void): void {
  for (const metric in s.metrics) {
    const v = s.metrics[metric]!;
    if (typeof v === 'number') fn(metric, null, v);
    else for (const lv of v) fn(metric, lv.labels, lv.value);
  }
}

/** One block of samples (same-timestamp samples merge; a series appears once per timestamp). */
export function samplesToBlock(samples: readonly Sample[], idOf: (metric: string, labels: Labels | null) => number): Block {
  const ts = [...new Set(samples.map((s) => s.ts))].sort((a, b) => a - b);
  const at = new Map(ts.map((t, i) => [t, i]));
  const cols = new Map<number, Column>();
  const ordered = [...samples].sort((a, b) => a.ts - b.ts);
  for (const s of ordered) {
    const i = at.get(s.ts)!;
    forEachSeries(s, (metric, labels, value) => {
      const id = idOf(metric, labels);
      let c = cols.get(id);
      if (!c) cols.set(id, (c = { id, index: [], values: [] }));
      if (c.index.at(-1) === i) return; // the same series twice at one time: the first wins
      c.index.push(i);
      c.values.push(value);
    });
  }
  return { ts, columns: [...cols.values()] };
}

/** The samples of a block, series in id order within each sample. */
export function blockToSamples(block: Block, seriesOf: (id: number) => SeriesRef): Sample[] {
  const out: Sample[] = block.ts.map((ts) => ({ ts, metrics: {} }));
  const cols = [...block.columns].sort((a, b) => a.id - b.id);
  for (const c of cols) {
    const ref = seriesOf(c.id);
    for (let j = 0; j < c.index.length; j++) {
      const m = out[c.index[j]!]!.metrics;
      if (ref.labels === null) m[ref.metric] = c.values[j]!;
      else {
        const list = (m[ref.metric] ??= []) as LabelledValue[];
        list.push({ labels: ref.labels, value: c.values[j]! });
      }
    }
  }
  return out;
}

/**
 * One metric's values per timestamp from an encoded block: a number, or the list of its
 * labelled values, as a sample holds them. Only that metric's columns are decoded.
 */
export function blockMetricValues(data: Uint8Array, ids: ReadonlySet<number>, seriesOf: (id: number) => SeriesRef): { ts: number; value: number | LabelledValue[] }[] {
  if (ids.size === 0) return [];
  const block = decodeBlock(data, (id) => ids.has(id));
  const metric = block.columns.length ? seriesOf(block.columns[0]!.id).metric : '';
  return blockToSamples(block, seriesOf)
    .filter((s) => metric in s.metrics)
    .map((s) => ({ ts: s.ts, value: s.metrics[metric]! }));
}

/**
 * The samples of one block window not yet final, kept column by column (a few bytes per value
 * instead of a sample object's hundreds: a fleet's objects share one isolate's memory).
 */
export class BlockBuilder {
  private readonly ts: number[] = [];
  private readonly at = new Map<number, number>();
  private readonly cols = new Map<number, { index: number[]; values: number[] }>();

  get size(): number {
    return this.ts.length;
  }

  add(ts: number, id: number, value: number): void {
    let i = this.at.get(ts);
    if (i === undefined) {
      i = this.ts.length;
      this.ts.push(ts);
      this.at.set(ts, i);
    }
    let c = this.cols.get(id);
    if (!c) this.cols.set(id, (c = { index: [], values: [] }));
    c.index.push(i);
    c.values.push(value);
  }

  minTs(from = -Infinity): number | null {
    let m = Infinity;
    for (const t of this.ts) if (t >= from && t < m) m = t;
    return m === Infinity ? null : m;
  }

  maxTs(): number | null {
    return this.ts.length ? Math.max(...this.ts) : null;
  }

  /** As a block: timestamps ascending, each column's values in timestamp order. */
  toBlock(want?: (id: number) => boolean): Block {
    const order = this.ts.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0]);
    const rank = new Array<number>(this.ts.length);
    order.forEach(([, i], r) => (rank[i] = r));
    const columns: Column[] = [];
    for (const [id, c] of this.cols) {
      if (want && !want(id)) continue;
      const pairs = c.index.map((i, j) => [rank[i]!, c.values[j]!] as const).sort((a, b) => a[0] - b[0]);
      columns.push({ id, index: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) });
    }
    return { ts: order.map(([t]) => t), columns };
  }
}
