// Host forecast rules (issue #13, docs/anomalies.md): "disk full within 4 h" needs the trend of a
// series over hours, evaluated on every sample. Re-reading hours of the raw tier each 5 s would
// cost more than the rest of the object, so each (rule, series) keeps per-minute means in memory
// (at most 1,440 for the raw tier's 24 h), seeded once from the raw tier when the rule is first
// seen, and the line is fitted through those (core/forecast.ts).
import type { Sample } from '../protocol/ingest.ts';
import { seriesKey, type Labels } from '../protocol/series.ts';
import { matchesSeries, type Rule } from './core/rules.ts';
import { projected, type TrendPoint } from './core/forecast.ts';

const MINUTE = 60_000;

interface Series {
  labels: Labels;
  /** minute start -> [samples, sum of ts, sum of values] */
  minutes: Map<number, [number, number, number]>;
  lastTs: number;
}

interface RuleTrends {
  windowMs: number;
  series: Map<string, Series>;
}

export interface ForecastObservation {
  labels: Labels;
  value: number;
  ts: number;
}

export class HostForecasts {
  private rules = new Map<string, RuleTrends>();

  /** `history(from, to)`: the raw tier's samples in [from, to), oldest first. */
  constructor(private readonly history: (from: number, to: number) => Sample[]) {}

  /** Feeds the samples to the rule's trends and returns each touched series' projected value. */
  observe(rule: Rule, hostId: string, samples: readonly Sample[], now: number, staleMs: number): ForecastObservation[] {
    if (rule.windowMs === undefined || rule.horizonMs === undefined) return [];
    let t = this.rules.get(rule.id);
    let seeded = new Set<string>();
    if (!t || t.windowMs !== rule.windowMs) {
      t = { windowMs: rule.windowMs, series: new Map() };
      this.rules.set(rule.id, t);
      // First sight of the rule (or a new window): the raw tier already holds this batch, so the
      // seed covers it and the batch's own samples are skipped as not newer than lastTs.
      seeded = this.feed(t, rule, hostId, this.history(now - rule.windowMs, now + 1), -Infinity);
    }
    const touched = this.feed(t, rule, hostId, samples, now - staleMs);
    for (const k of seeded) touched.add(k);
    const out: ForecastObservation[] = [];
    for (const key of touched) {
      const s = t.series.get(key)!;
      this.prune(s, s.lastTs - rule.windowMs);
      const points: TrendPoint[] = [...s.minutes.values()].map(([n, st, sv]) => [st / n, sv / n]);
      const v = projected(points, s.lastTs, rule.horizonMs, rule.comparator);
      if (v !== null) out.push({ labels: s.labels, value: v, ts: s.lastTs });
    }
    return out;
  }

  /** Drops the trends of rules no longer in the config. */
  retain(ruleIds: Set<string>) {
    for (const id of this.rules.keys()) if (!ruleIds.has(id)) this.rules.delete(id);
  }

  private feed(t: RuleTrends, rule: Rule, hostId: string, samples: readonly Sample[], minTs: number): Set<string> {
    const touched = new Set<string>();
    const add = (labels: Labels, ts: number, v: number) => {
      const key = seriesKey(rule.metric, labels);
      let s = t.series.get(key);
      if (!s) t.series.set(key, (s = { labels, minutes: new Map(), lastTs: -Infinity }));
      if (ts <= s.lastTs) return; // a replayed or seeded sample
      s.lastTs = ts;
      const m = Math.floor(ts / MINUTE) * MINUTE;
      const acc = s.minutes.get(m);
      if (acc) {
        acc[0]++;
        acc[1] += ts;
        acc[2] += v;
      } else s.minutes.set(m, [1, ts, v]);
      touched.add(key);
    };
    for (const s of samples) {
      if (s.ts < minTs) continue;
      const v = s.metrics[rule.metric];
      if (v === undefined) continue;
      if (typeof v === 'number') {
        if (matchesSeries(rule.matchers, hostId, {})) add({}, s.ts, v);
      } else for (const lv of v) if (matchesSeries(rule.matchers, hostId, lv.labels)) add(lv.labels, s.ts, lv.value);
    }
    return touched;
  }

  private prune(s: Series, from: number) {
    for (const m of s.minutes.keys()) if (m + MINUTE <= from) s.minutes.delete(m);
  }
}
