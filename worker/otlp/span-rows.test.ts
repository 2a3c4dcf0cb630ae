// A stored span's row: the JSON budget per span drops events, then links, then attributes, and
// counts them; a resource keeps to a quarter of the budget; entry and route follow the kind.
import { describe, expect, it } from 'vitest';
import { TRACE_LIMITS } from '../../protocol/traces.ts';
import type { Span } from '../../protocol/otlp/types.ts';
import { spanRow, spanRowJson } from './span-rows.ts';
import type { AcceptedSpan } from './server-spans.ts';

const span = (over: Partial<Span>): Span => ({
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  parentSpanId: 'c'.repeat(16),
  traceState: '',
  name: 'work',
  kind: 1,
  startTimeUnixNano: 1_700_000_000_000_000_000n,
  endTimeUnixNano: 1_700_000_000_250_000_000n,
  attributes: {},
  droppedAttributesCount: 0,
  events: [],
  links: [],
  status: { code: 0, message: '' },
  flags: 0,
  ...over,
});
const accepted = (s: Span, resource = {}): AcceptedSpan => ({ service: 'svc', resource, span: s, route: s.kind === 2 ? 'GET /x' : null, error: false, endMs: Number(s.endTimeUnixNano) / 1e6, ms: Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e6 });
const jsonSize = (r: ReturnType<typeof spanRow>) => JSON.stringify(r.attributes).length + JSON.stringify(r.resource).length + JSON.stringify(r.events).length + JSON.stringify(r.links).length;

describe('spanRow', () => {
  it('keeps a span within the JSON budget by dropping its last events first, and counts them', () => {
    const big = 'x'.repeat(TRACE_LIMITS.maxValueLength);
    const events = Array.from({ length: 100 }, (_, i) => ({ timeUnixNano: 1_700_000_000_100_000_000n, name: `e${i}`, attributes: { a: big } }));
    const r = spanRow(accepted(span({ events, attributes: { keep: 'me' } })), 'sample');
    expect(jsonSize(r)).toBeLessThanOrEqual(TRACE_LIMITS.maxSpanJsonBytes);
    expect(r.events.length).toBeGreaterThan(5);
    expect(r.dropped.events).toBe(100 - r.events.length);
    expect(r.events.at(-1)!.name).toBe(`e${r.events.length - 1}`); // the first ones stay
    expect(r.attributes).toEqual({ keep: 'me' });
  });

  it('holds a resource to a quarter of the budget, and drops span attributes last', () => {
    const big = 'y'.repeat(TRACE_LIMITS.maxValueLength);
    const resource = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`r${i}`, big]));
    const attributes = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`a${i}`, big]));
    const r = spanRow(accepted(span({ attributes }), resource), 'sample');
    expect(JSON.stringify(r.resource).length).toBeLessThanOrEqual(TRACE_LIMITS.maxSpanJsonBytes / 4);
    expect(jsonSize(r)).toBeLessThanOrEqual(TRACE_LIMITS.maxSpanJsonBytes);
    expect(Object.keys(r.attributes)[0]).toBe('a0');
    expect(r.dropped.attributes).toBe(100 - Object.keys(r.attributes).length + 100 - Object.keys(r.resource).length);
  });

  it('marks server and root spans as entries, with times in µs and ms', () => {
    const server = spanRow(accepted(span({ kind: 2, parentSpanId: 'd'.repeat(16) })), 'slow');
    expect([server.entry, server.route, server.start_us, server.duration_ms, server.kept]).toEqual([true, 'GET /x', 1_700_000_000_000_000, 250, 'slow']);
    expect(spanRow(accepted(span({ parentSpanId: '' })), 'sample').entry).toBe(true);
    const inner = spanRow(accepted(span({})), 'sample');
    expect([inner.entry, inner.route]).toEqual([false, null]);
  });

  it("encodes a row for the statement as the row itself plus its tenant, the resource's JSON made once", () => {
    const resource = { 'service.name': 'svc', 'host.name': 'h\u2028"q"' };
    const row = spanRow(accepted(span({ attributes: { k: 'v"\\' }, events: [{ timeUnixNano: 1n, name: 'e', attributes: { a: 1 } }] }), resource), 'error');
    const json = spanRowJson(row, 'tenant-1');
    expect(JSON.parse(json)).toEqual({ ...row, tenant_id: 'tenant-1' });
    // A second span of the same resource reuses its JSON and still parses to its own row.
    const other = spanRow(accepted(span({ spanId: 'd'.repeat(16) }), resource), 'sample');
    expect(JSON.parse(spanRowJson(other, 'tenant-2'))).toEqual({ ...other, tenant_id: 'tenant-2' });
  });
});
