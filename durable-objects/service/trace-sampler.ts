// A service object's share of span storage (docs/traces.md): per request it answers the level at
// which the service samples traces this minute and which slow-span candidates are among their
// route's slowest this minute. The state is small and in memory only: after a restart the budget
// starts at the full rate again (the in-minute rise still holds the cap) and the top-k start
// empty (a few more spans are kept as slow for the rest of those minutes).
import { TRACE_SAMPLING, type Exemplar, type SamplingDecision, type SpanSampling } from '../../protocol/traces.ts';
import { SampleBudget, SlowestPerMinute } from '../core/trace-sampling.ts';

export class TraceSampler {
  private readonly budget = new SampleBudget();
  private readonly slowest = new SlowestPerMinute();
  private prunedMinute = 0;

  /** `routeOf` maps a route as the worker named it to the one the object counts it under. */
  decide(s: SpanSampling, now: number, routeOf: (route: string) => string): SamplingDecision {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.prunedMinute) {
      this.slowest.prune(now);
      this.prunedMinute = minute;
    }
    const level = this.budget.decide(s.levels, now);
    const slow = s.slow.map((c) => this.slowest.offer(Math.floor(c.endMs / 60_000), routeOf(c.route), { ms: c.ms, spanId: c.spanId, traceId: c.traceId, endMs: c.endMs }));
    return { level, slow };
  }

  /**
   * The slowest spans of each minute in [from, to) (exemplars for the latency chart): a route's
   * top 5, or without a route the 5 slowest of the minute across routes.
   */
  exemplars(from: number, to: number, route?: string): Exemplar[] {
    const perMinute = new Map<number, Exemplar[]>();
    for (const e of this.slowest.entries(Math.floor(from / 60_000), Math.floor((to - 1) / 60_000), route)) {
      if (e.endMs < from || e.endMs >= to) continue;
      let list = perMinute.get(e.minute);
      if (!list) perMinute.set(e.minute, (list = []));
      list.push({ ts: e.endMs, ms: e.ms, route: e.route, traceId: e.traceId, spanId: e.spanId });
    }
    const out: Exemplar[] = [];
    for (const list of perMinute.values()) out.push(...list.sort((a, b) => b.ms - a.ms).slice(0, TRACE_SAMPLING.slowestPerRouteMinute));
    return out.sort((a, b) => a.ts - b.ts || b.ms - a.ms);
  }

  state() {
    return this.budget.state();
  }
}
