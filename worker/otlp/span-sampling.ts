// Which of a request's accepted spans are stored (docs/traces.md, "Sampling"). Per request, in the
// worker: each service's spans are summarised (spans per trace level, the slowest server spans per
// route and minute) for its object, which answers the service's level this minute and which slow
// candidates are among their route's slowest; then whole traces of the request are kept:
// - a trace with an error span in the request: all its spans in the request ('error');
// - a trace with a kept slow span: all its spans in the request ('slow');
// - otherwise a span is kept when its trace's level reaches its service's level ('sample').
import { TRACE_SAMPLING, type KeptReason, type SamplingDecision, type SpanSampling } from '../../protocol/traces.ts';
import { levelOfHash, traceHash } from '../../durable-objects/core/trace-sampling.ts';
import type { AcceptedSpan } from './server-spans.ts';

export interface TraceFacts {
  level: number;
  error: boolean;
}

export interface SamplingPlan {
  /** Per service: its spans, each one's trace facts (same index), and the summary for its object. */
  services: Map<string, { spans: AcceptedSpan[]; facts: TraceFacts[]; sampling: SpanSampling }>;
  traces: TraceIndex;
}

interface TraceEntry extends TraceFacts {
  id: string;
  next: TraceEntry | null;
}

/**
 * A request's traces by id, found through the id's traceHash (which also gives the level). A Map
 * keyed by the ids themselves had V8 internalize every fresh id string on lookup: 2.5 % of the
 * isolate's CPU under bench:apm (docs/performance.md, "Deferred span attributes").
 */
export class TraceIndex {
  private readonly byHash = new Map<number, TraceEntry>();

  get(traceId: string): TraceFacts | undefined {
    for (let e = this.byHash.get(traceHash(traceId)) ?? null; e; e = e.next) if (e.id === traceId) return e;
    return undefined;
  }

  /** The trace's facts, made at its first span (its traceLevel, no error yet). Ids of one hash share a chain. */
  of(traceId: string): TraceFacts {
    const h = traceHash(traceId);
    const head = this.byHash.get(h) ?? null;
    for (let e = head; e; e = e.next) if (e.id === traceId) return e;
    const e: TraceEntry = { level: levelOfHash(h), error: false, id: traceId, next: head };
    this.byHash.set(h, e);
    return e;
  }
}

interface Candidate {
  a: AcceptedSpan;
  ms: number;
  endMs: number;
}

export function planSampling(accepted: readonly AcceptedSpan[]): SamplingPlan {
  // One lookup of a span's trace id per request; the later passes use the facts by index.
  const traces = new TraceIndex();
  const factsOf = new Array<TraceFacts>(accepted.length);
  for (let i = 0; i < accepted.length; i++) {
    const a = accepted[i]!;
    const t = traces.of(a.span.traceId);
    if (a.error) t.error = true;
    factsOf[i] = t;
  }
  const k = TRACE_SAMPLING.slowestPerRouteMinute;
  // Top k per route, then per minute (a body's spans nearly all end in one minute): route names
  // are the worker's cached strings, so no key is built per span.
  type Acc = { spans: AcceptedSpan[]; facts: TraceFacts[]; sampling: SpanSampling; top: Map<string, Map<number, Candidate[]>> };
  const services = new Map<string, Acc>();
  let s: Acc | undefined;
  for (let i = 0; i < accepted.length; i++) {
    const a = accepted[i]!;
    if (s === undefined || s.spans[0]!.service !== a.service) {
      s = services.get(a.service);
      if (!s) services.set(a.service, (s = { spans: [], facts: [], sampling: { levels: new Array<number>(TRACE_SAMPLING.maxLevel).fill(0), slow: [] }, top: new Map() }));
    }
    const t = factsOf[i]!;
    s.spans.push(a);
    s.facts.push(t);
    if (!t.error) s.sampling.levels[t.level]!++; // error traces are kept anyway: not the sample's budget
    if (a.route === null) continue;
    // Float milliseconds, as the signals take them (worker/otlp/server-spans.ts).
    const { endMs, ms } = a;
    const minute = Math.floor(endMs / 60_000);
    let perMinute = s.top.get(a.route);
    if (!perMinute) s.top.set(a.route, (perMinute = new Map()));
    let top = perMinute.get(minute);
    if (!top) perMinute.set(minute, (top = []));
    if (top.length < k) top.push({ a, ms, endMs });
    else {
      let min = 0;
      for (let i = 1; i < top.length; i++) if (top[i]!.ms < top[min]!.ms) min = i;
      if (ms > top[min]!.ms) top[min] = { a, ms, endMs };
    }
  }
  const out = new Map<string, { spans: AcceptedSpan[]; facts: TraceFacts[]; sampling: SpanSampling }>();
  for (const [service, s] of services) {
    for (const perMinute of s.top.values())
      for (const top of perMinute.values())
        for (const c of top) s.sampling.slow.push({ route: c.a.route!, endMs: Math.floor(c.endMs), ms: c.ms, spanId: c.a.span.spanId, traceId: c.a.span.traceId });
    out.set(service, { spans: s.spans, facts: s.facts, sampling: s.sampling });
  }
  return { services: out, traces };
}

/** The spans to store, with why, given each service's decision (a service without one stores only promoted traces). */
export function selectSpans(plan: SamplingPlan, decisions: Map<string, SamplingDecision>): { span: AcceptedSpan; kept: KeptReason }[] {
  // Kept slow traces by their facts object: a lookup by identity per span, not by id string.
  const slowTraces = new Set<TraceFacts>();
  for (const [service, s] of plan.services) {
    const d = decisions.get(service);
    if (!d) continue;
    s.sampling.slow.forEach((c, i) => {
      if (d.slow[i]) slowTraces.add(plan.traces.get(c.traceId)!);
    });
  }
  const out: { span: AcceptedSpan; kept: KeptReason }[] = [];
  for (const [service, s] of plan.services) {
    const level = decisions.get(service)?.level ?? TRACE_SAMPLING.maxLevel;
    for (let i = 0; i < s.spans.length; i++) {
      const a = s.spans[i]!;
      const t = s.facts[i]!;
      if (t.error) out.push({ span: a, kept: 'error' });
      else if (slowTraces.size && slowTraces.has(t)) out.push({ span: a, kept: 'slow' });
      else if (t.level >= level) out.push({ span: a, kept: 'sample' });
    }
  }
  return out;
}
