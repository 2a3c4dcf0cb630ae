// A request's storage plan: an error or a kept slow span keeps its whole trace of the request,
// across services; the rest is kept by its trace's level against its service's level.
import { describe, expect, it } from 'vitest';
import type { Span } from '../../protocol/otlp/types.ts';
import { TRACE_SAMPLING } from '../../protocol/traces.ts';
import { traceHash, traceLevel } from '../../durable-objects/core/trace-sampling.ts';
import type { AcceptedSpan } from './server-spans.ts';
import { planSampling, selectSpans, TraceIndex } from './span-sampling.ts';

let n = 0;
const hex = (len: number) => Array.from(crypto.getRandomValues(new Uint8Array(len)), (b) => b.toString(16).padStart(2, '0')).join('');
function a(service: string, traceId: string, opts: { error?: boolean; route?: string; ms?: number } = {}): AcceptedSpan {
  const end = 1_700_000_000_000_000_000n + BigInt(++n);
  const span = { traceId, spanId: hex(8), parentSpanId: '', traceState: '', name: 'x', kind: opts.route ? 2 : 1, startTimeUnixNano: end - BigInt((opts.ms ?? 1) * 1e6), endTimeUnixNano: end, attributes: {}, droppedAttributesCount: 0, events: [], links: [], status: { code: 0, message: '' }, flags: 0 } as Span;
  return { service, resource: {}, span, route: opts.route ?? null, error: opts.error ?? false, endMs: Number(end) / 1e6, ms: opts.ms ?? 1 };
}

describe('planSampling / selectSpans', () => {
  it('keeps an error trace of the request whole across services, and counts it outside the sample', () => {
    const t = hex(16);
    const spans = [a('front', t, { route: 'GET /' }), a('back', t), a('back', t, { error: true })];
    const plan = planSampling(spans);
    expect(plan.services.get('front')!.sampling.levels.reduce((x, y) => x + y)).toBe(0);
    const none = { level: TRACE_SAMPLING.maxLevel, slow: [] as boolean[] };
    const kept = selectSpans(plan, new Map([['front', { ...none, slow: [false] }], ['back', none]]));
    expect(kept.map((k) => k.kept)).toEqual(['error', 'error', 'error']);
  });

  it("offers each route's slowest spans per minute, and a kept one keeps its trace", () => {
    const traces = Array.from({ length: 8 }, () => hex(16));
    const spans = traces.map((t, i) => a('svc', t, { route: 'GET /r', ms: 10 + i }));
    spans.push(a('svc', traces[7]!)); // a child of the slowest
    const plan = planSampling(spans);
    const slow = plan.services.get('svc')!.sampling.slow;
    expect(slow.map((c) => Math.round(c.ms)).sort((x, y) => x - y)).toEqual([13, 14, 15, 16, 17].slice(0, TRACE_SAMPLING.slowestPerRouteMinute));
    // Float milliseconds since the epoch, as the signals take them: within ~0.25 µs.
    const decision = { level: TRACE_SAMPLING.maxLevel, slow: slow.map((c) => Math.round(c.ms) === 17) };
    const kept = selectSpans(plan, new Map([['svc', decision]]));
    expect(kept.map((k) => [k.span.span.traceId, k.kept])).toEqual([
      [traces[7], 'slow'],
      [traces[7], 'slow'],
    ]);
  });

  it('keeps a trace by level, the same for every span of it', () => {
    const traces = Array.from({ length: 200 }, () => hex(16));
    const spans = traces.flatMap((t) => [a('svc', t), a('svc', t)]);
    const plan = planSampling(spans);
    const kept = selectSpans(plan, new Map([['svc', { level: 2, slow: [] }]]));
    const expected = traces.filter((t) => traceLevel(t) >= 2);
    expect(kept.length).toBe(expected.length * 2);
    expect(new Set(kept.map((k) => k.span.span.traceId))).toEqual(new Set(expected));
    expect(kept.every((k) => k.kept === 'sample')).toBe(true);
  });
});

describe('TraceIndex', () => {
  it('tells apart ids whose hashes collide, each with its level', () => {
    // Two ids with the same 32-bit traceHash, found by search (birthday bound: ~2^16 tries).
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; !pair; i++) {
      const id = i.toString(16).padStart(32, '0');
      const h = traceHash(id);
      const other = seen.get(h);
      if (other !== undefined) pair = [other, id];
      else seen.set(h, id);
    }
    const [x, y] = pair;
    const index = new TraceIndex();
    const fx = index.of(x);
    const fy = index.of(y);
    expect(fx).not.toBe(fy);
    expect(index.of(x)).toBe(fx);
    expect(index.of(y)).toBe(fy);
    expect([index.get(x), index.get(y), index.get('f'.repeat(32))]).toEqual([fx, fy, undefined]);
    expect([fx.level, fy.level]).toEqual([traceLevel(x), traceLevel(y)]);
    fy.error = true;
    expect(index.get(x)!.error).toBe(false);
  });
});
