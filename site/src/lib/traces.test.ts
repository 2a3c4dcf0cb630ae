// The waterfall's layout: tree order with children by start, depth, offsets and widths along the
// trace, one colour per service, and spans whose parent is missing (or cyclic) still shown once.
import { describe, expect, it } from 'vitest';
import { layoutWaterfall, logsHref, SERVICE_COLORS, traceHref, type StoredSpan } from './traces.ts';

const span = (spanId: string, parentSpanId: string, startMs: number, durationMs: number, service = 'web'): StoredSpan => ({
  traceId: 't'.repeat(32),
  spanId,
  parentSpanId,
  service,
  route: null,
  name: spanId,
  kind: 1,
  startUs: 1_700_000_000_000_000 + startMs * 1000,
  durationMs,
  error: false,
  statusCode: 0,
  statusMessage: '',
  kept: 'sample',
  attributes: {},
  resource: {},
  events: [],
  links: [],
  dropped: { attributes: 0, events: 0, links: 0, truncated: 0 },
});

describe('layoutWaterfall', () => {
  it('orders spans depth first with children by start, and places them along the trace', () => {
    const w = layoutWaterfall([span('c2', 'root', 60, 40, 'db'), span('root', '', 0, 100), span('c1', 'root', 10, 30, 'api'), span('g1', 'c1', 20, 5, 'db')]);
    expect(w.rows.map((r) => [r.span.spanId, r.depth])).toEqual([
      ['root', 0],
      ['c1', 1],
      ['g1', 2],
      ['c2', 1],
    ]);
    expect(w.totalMs).toBe(100);
    const c2 = w.rows[3]!;
    expect([c2.offsetPct, c2.widthPct, c2.startMs]).toEqual([60, 40, 60]);
    expect(w.services).toEqual([
      { name: 'web', color: SERVICE_COLORS[0] },
      { name: 'api', color: SERVICE_COLORS[1] },
      { name: 'db', color: SERVICE_COLORS[2] },
    ]);
    expect(w.rows.map((r) => r.color)).toEqual([SERVICE_COLORS[0], SERVICE_COLORS[1], SERVICE_COLORS[2], SERVICE_COLORS[2]]);
    expect(w.rows.some((r) => r.missingParent)).toBe(false);
  });

  it('shows a span whose parent is not stored as a root, marked, and spans in a parent cycle once each', () => {
    const w = layoutWaterfall([span('a', '', 0, 10), span('orphan', 'gone', 5, 50), span('x', 'y', 1, 1), span('y', 'x', 2, 1)]);
    expect(w.rows).toHaveLength(4);
    expect(new Set(w.rows.map((r) => r.span.spanId)).size).toBe(4);
    expect(w.rows.find((r) => r.span.spanId === 'orphan')).toMatchObject({ depth: 0, missingParent: true });
    expect(w.rows.find((r) => r.span.spanId === 'a')).toMatchObject({ depth: 0, missingParent: false });
    expect(w.totalMs).toBe(55);
  });

  it('is empty for no spans, and links carry the ids', () => {
    expect(layoutWaterfall([]).rows).toEqual([]);
    expect(traceHref('ab', 'cd')).toBe('/app/trace/?id=ab&span=cd');
    expect(logsHref('ab', 'cd')).toBe('/app/logs/?trace_id=ab&span_id=cd');
    expect(logsHref('ab')).toBe('/app/logs/?trace_id=ab');
  });
});
