// Server spans to signals: route naming, error classification and the accept window, in tables.
import { describe, expect, it } from 'vitest';
import { APM_LIMITS, UNKNOWN_SERVICE } from '../../protocol/apm.ts';
import { decodeTraces } from '../../protocol/otlp/index.ts';
import { pb } from '../../protocol/otlp/test-helpers.ts';
import type { Span, TracesRequest } from '../../protocol/otlp/types.ts';
import { aggregateTraces, isError, routeOf, SIGNAL_ATTRIBUTES, templatePath } from './server-spans.ts';

describe('routeOf', () => {
  it.each([
    [{ 'http.request.method': 'GET', 'http.route': '/users/:id' }, 'GET /users/:id'],
    [{ 'http.method': 'POST', 'http.route': '/orders' }, 'POST /orders'], // older attribute name
    [{ 'http.request.method': 'GET', 'url.path': '/users/123/orders/9f8e7d6c5b4a39281706' }, 'GET /users/{id}/orders/{id}'],
    [{ 'http.method': 'GET', 'http.target': '/items/42?sort=asc' }, 'GET /items/{id}'], // older: raw target with a query
    [{ 'http.request.method': 'DELETE' }, 'DELETE'],
    [{}, 'unknown'],
    [{ 'http.route': `/${'x'.repeat(500)}` }, `/${'x'.repeat(APM_LIMITS.maxRouteLength - 1)}`],
    [{ 'http.route': '/a\nb' }, '/a?b'],
  ])('%j -> %s', (attrs, route) => expect(routeOf(attrs)).toBe(route));

  it('names a route and a raw path of the same text apart, and a method alone apart from both, once cached', () => {
    const route = { 'http.request.method': 'GET', 'http.route': '/n/123' };
    const path = { 'http.request.method': 'GET', 'url.path': '/n/123' };
    for (let i = 0; i < 2; i++) {
      expect(routeOf(route)).toBe('GET /n/123');
      expect(routeOf(path)).toBe('GET /n/{id}');
      expect(routeOf({ 'http.request.method': 'GET' })).toBe('GET');
      expect(routeOf({ 'http.route': '/n/123' })).toBe('/n/123');
    }
  });

  it('templates ids but keeps words', () => {
    expect(templatePath('/api/v1/users/550e8400-e29b-41d4-a716-446655440000/profile')).toBe('/api/v1/users/{id}/profile');
    expect(templatePath('/static/app.js')).toBe('/static/app.js');
  });
});

const span = (over: Partial<Span>): Span => ({
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  parentSpanId: '',
  traceState: '',
  name: 'GET',
  kind: 2,
  startTimeUnixNano: 0n,
  endTimeUnixNano: 0n,
  attributes: {},
  droppedAttributesCount: 0,
  events: [],
  links: [],
  status: { code: 0, message: '' },
  flags: 0,
  ...over,
});

describe('isError', () => {
  it.each([
    [{ code: 0 }, { 'http.response.status_code': 200 }, false],
    [{ code: 0 }, { 'http.response.status_code': 404 }, false],
    [{ code: 0 }, { 'http.response.status_code': 500 }, true],
    [{ code: 0 }, { 'http.status_code': 503 }, true], // older name
    [{ code: 0 }, { 'http.status_code': '502' }, true], // sent as a string
    [{ code: 2 }, { 'http.response.status_code': 200 }, true], // status ERROR
    [{ code: 1 }, {}, false],
  ])('status %j attrs %j -> %s', (status, attributes, error) =>
    expect(isError(span({ status: { message: '', ...status }, attributes }))).toBe(error),
  );
});

describe('aggregateTraces', () => {
  const now = 1_800_000_000_000;
  const ns = (ms: number) => BigInt(ms) * 1_000_000n;
  const req = (spans: Span[], resource: Record<string, string> = { 'service.name': 'svc' }): TracesRequest => ({
    resourceSpans: [{ resource: { attributes: resource, droppedAttributesCount: 0 }, schemaUrl: '', scopeSpans: [{ scope: { name: '', version: '', attributes: {} }, schemaUrl: '', spans }] }],
  });

  it('groups server spans per second and route; other kinds are accepted but not counted', () => {
    const spans = [
      span({ startTimeUnixNano: ns(now - 10), endTimeUnixNano: ns(now), attributes: { 'http.route': '/a' } }),
      span({ startTimeUnixNano: ns(now - 20), endTimeUnixNano: ns(now + 1), attributes: { 'http.route': '/a', 'http.response.status_code': 500 } }),
      span({ startTimeUnixNano: ns(now + 980), endTimeUnixNano: ns(now + 1000), attributes: { 'http.route': '/a' } }),
      span({ kind: 3, startTimeUnixNano: ns(now - 5), endTimeUnixNano: ns(now) }),
    ];
    const agg = aggregateTraces(req(spans, { 'service.name': 'svc', 'host.name': 'web-1' }), now);
    expect([agg.spans, agg.requests, agg.rejected]).toEqual([4, 3, 0]);
    const b = agg.services.get('svc')!;
    expect(b.hosts).toEqual(['web-1']);
    expect(b.entries.map((e) => [e.sec, e.route, e.count, e.errors])).toEqual([
      [now / 1000, '/a', 2, 1],
      [now / 1000 + 1, '/a', 1, 0],
    ]);
    expect(b.entries[0]!.sketch.count).toBe(2);
  });

  it('decoded with only the signal attributes: a server span without http.route is named from its raw path', () => {
    const kv = (key: string, value: string) => pb.ld(9, [...pb.str(1, key), ...pb.ld(2, pb.str(1, value))]);
    const server = (id: number, attrs: number[]) =>
      pb.ld(2, [...pb.ld(1, new Array(16).fill(id)), ...pb.ld(2, new Array(8).fill(id)), ...pb.tag(6, 0), 2, ...pb.fixed64(7, ns(now - 5)), ...pb.fixed64(8, ns(now)), ...attrs]);
    const body = Uint8Array.from(pb.ld(1, pb.ld(2, [...server(1, [...kv('http.request.method', 'GET'), ...kv('url.path', '/users/123')]), ...server(2, [...kv('url.path', '/r/9'), ...kv('http.route', '/r/{n}'), ...kv('http.request.method', 'GET')])])));
    const decoded = decodeTraces(body, 'protobuf', { onlyAttributes: SIGNAL_ATTRIBUTES });
    const [raw, routed] = decoded.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(raw!.attributes).toStrictEqual({ 'http.request.method': 'GET' });
    const agg = aggregateTraces(decoded, now);
    expect(agg.services.get(UNKNOWN_SERVICE)!.entries.map((e) => e.route).sort()).toEqual(['GET /r/{n}', 'GET /users/{id}']);
    // The route-less span was decoded whole to find its path; the other keeps its path undecoded.
    expect([raw!.deferred, raw!.attributes['url.path']]).toEqual([null, '/users/123']);
    expect(routed!.deferred).not.toBeNull();
    expect(routed!.attributes['url.path']).toBeUndefined();
  });

  it('rejects invalid spans and spans outside the accept window, naming the first', () => {
    const spans = [
      span({ traceId: 'zz', startTimeUnixNano: ns(now - 1), endTimeUnixNano: ns(now) }),
      span({ startTimeUnixNano: ns(now - APM_LIMITS.acceptPastMs - 2000), endTimeUnixNano: ns(now - APM_LIMITS.acceptPastMs - 1000) }),
      span({ startTimeUnixNano: ns(now + APM_LIMITS.acceptFutureMs + 1000), endTimeUnixNano: ns(now + APM_LIMITS.acceptFutureMs + 2000) }),
      span({ startTimeUnixNano: ns(now - 1), endTimeUnixNano: ns(now) }),
    ];
    const agg = aggregateTraces(req(spans, {}), now);
    expect([agg.rejected, agg.requests]).toEqual([3, 1]);
    expect(agg.problem).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: /);
    expect([...agg.services.keys()]).toEqual([UNKNOWN_SERVICE]);
  });

  it('counts requests at or under each SLO latency threshold exactly, only for the services that have one', () => {
    const d = [10, 100, 100.001, 250, 250, 900];
    const spans = d.map((ms) => span({ startTimeUnixNano: ns(now) - BigInt(Math.round(ms * 1e6)), endTimeUnixNano: ns(now), attributes: { 'http.route': '/a' } }));
    const agg = aggregateTraces(req(spans), now, (s) => (s === 'svc' ? [100, 250] : []));
    const b = agg.services.get('svc')!;
    expect(b.thresholds).toEqual([100, 250]);
    expect(b.entries.map((e) => e.le)).toEqual([{ '100': 2, '250': 5 }]);
    const none = aggregateTraces(req(spans), now).services.get('svc')!;
    expect(none.thresholds).toBeUndefined();
    expect(none.entries[0]!.le).toBeUndefined();
  });
});
