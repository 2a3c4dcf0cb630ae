// A service object's share of span storage (docs/traces.md): per request it answers the level at
// which the service samples traces this minute and which slow-span candidates are among their
// route's slowest this minute. The state is small and in memory only: after a restart the budget
// starts at the full rate again (the in-minute rise still holds the cap) and the top-k start
// empty (a few more spans are kept as slow for the rest of those minutes).
import type { Exemplar, SamplingDecision, SpanSampling } from '../../protocol/traces.ts';
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

  /** The slowest spans of each minute in [from, to) (exemplars for the latency chart). */
  exemplars(from: number, to: number, route?: string): Exemplar[] {
    const out: Exemplar[] = [];
    for (const e of this.slowest.entries(Math.floor(from / 60_000), Math.floor((to - 1) / 60_000), route)) {
      out.push({ ts: e.endMs, ms: e.ms, route: e.route, traceId: e.traceId, spanId: e.spanId });
    }
    return out.sort((a, b) => a.ts - b.ts || b.ms - a.ms);
  }

  state() {
    return this.budget.state();
  }
}
