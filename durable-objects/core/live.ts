// The live window: the last minutes of samples in memory and the latest value of every series.
import type { Sample } from '../../protocol/ingest.ts';
import type { CurrentValue } from '../../protocol/query.ts';
import { seriesKey } from '../../protocol/series.ts';
import { forEachValue } from './aggregate.ts';

export class LiveWindow {
  private samples: Sample[] = [];
  private latest = new Map<string, CurrentValue>();
  lastSeen: number | null = null;

  /**
   * @param spanMs how long whole samples are kept (memory: a fleet's objects share an isolate)
   * @param latestSpanMs how long a silent series keeps its latest value (disk metrics come every 30 s)
   */
  constructor(
    private readonly spanMs: number,
    private readonly latestSpanMs = spanMs,
  ) {}

  add(sample: Sample): void {
    // Keep order by ts; replays from an agent's spool arrive late, usually older than everything.
    const arr = this.samples;
    if (arr.length === 0 || arr[arr.length - 1]!.ts <= sample.ts) arr.push(sample);
    else {
      let i = arr.length - 1;
      while (i > 0 && arr[i - 1]!.ts > sample.ts) i--;
      arr.splice(i, 0, sample);
    }
    forEachValue(sample, (metric, labels, value) => {
      const key = seriesKey(metric, labels);
      const prev = this.latest.get(key);
      if (!prev || prev.ts <= sample.ts) this.latest.set(key, { metric, labels, value, ts: sample.ts });
    });
    if (this.lastSeen === null || sample.ts > this.lastSeen) this.lastSeen = sample.ts;
    const edge = (this.lastSeen ?? sample.ts) - this.spanMs;
    let drop = 0;
    while (drop < arr.length && arr[drop]!.ts < edge) drop++;
    if (drop) arr.splice(0, drop);
  }

  /** Latest values; a series silent for the whole window (a removed disk) is dropped. */
  current(): CurrentValue[] {
    const edge = (this.lastSeen ?? 0) - this.latestSpanMs;
    for (const [k, v] of this.latest) if (v.ts < edge) this.latest.delete(k);
    return [...this.latest.values()].sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  }

  recent(): readonly Sample[] {
    return this.samples;
  }
}
