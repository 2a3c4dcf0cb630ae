// Stored spans through the real worker, service objects and Postgres: spans made by the official
// OTel SDK and its protobuf serializer are found by trace id across services; the sampling keeps
// every error trace, each route's slowest, whole traces together and a capped sample; attributes
// are capped, not refused; bad parameters are 4xx naming them; another organization gets a 404.
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { TRACE_LIMITS, TRACE_SAMPLING, type TraceResponse, type TraceSearchResponse } from '../../../protocol/traces.ts';
import type { SignalsResponse } from '../../../protocol/apm.ts';
import { levelFor, traceLevel } from '../../../durable-objects/core/trace-sampling.ts';
import { waitFor } from '../../../test/alert-helpers.ts';
import { get, seedTenant } from '../../../test/helpers.ts';
import { otlpTraces, postTraces, type TestSpan } from '../../../test/otlp.ts';
import { withDb } from '../../db/client.ts';
import { insertSpans } from '../../db/spans.ts';

const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');

/** Stored spans of a tenant, once `count` of them are there (writes follow the answer). */
async function stored(tenantId: string, count: number) {
  const read = () =>
    withDb(env, async (db) => (await db.execute(sql`SELECT trace_id, span_id, service, kept FROM spans WHERE tenant_id = ${tenantId}`)).rows as { trace_id: string; span_id: string; service: string; kept: string }[]);
  const rows = await waitFor(read, (rows) => rows.length >= count);
  expect(rows.length, `stored spans of the tenant after 15 s`).toBeGreaterThanOrEqual(count);
  return rows;
}

async function sdkSpans(): Promise<{ spans: ReadableSpan[]; traceId: string }> {
  const exporter = new InMemorySpanExporter();
  const provider = (service: string) =>
    new TracerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'web-1' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const front = provider('frontend').getTracer('test');
  const back = provider('inventory').getTracer('test');
  const root = front.startSpan('GET /shop', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/shop', 'http.response.status_code': 200 } });
  const ctx = trace.setSpan(context.active(), root);
  const call = front.startSpan('GET inventory', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET' } }, ctx);
  const served = back.startSpan('GET /stock/{id}', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/stock/{id}', 'stock.count': 3 } }, trace.setSpan(ctx, call));
  served.addEvent('cache.miss', { key: 'stock:42' });
  served.end();
  call.end();
  root.end();
  return { spans: exporter.getFinishedSpans(), traceId: root.spanContext().traceId };
}

describe('stored spans', () => {
  it('stores spans the official SDK sends (protobuf) and finds the trace by id across its services', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const { spans, traceId } = await sdkSpans();
    const res = await postTraces(ingestKey, null, { raw: ProtobufTraceSerializer.serializeRequest(spans)!, headers: { 'content-type': 'application/x-protobuf' } });
    expect(res.status).toBe(200);
    await stored(tenant.id, 3);
    const r = await get(readKey, `/api/v1/traces/${traceId.toUpperCase()}`);
    expect(r.status).toBe(200);
    const t = (await r.json()) as TraceResponse;
    expect(t.traceId).toBe(traceId);
    expect(t.services.sort()).toEqual(['frontend', 'inventory']);
    expect(t.truncated).toBe(false);
    const bySpan = new Map(t.spans.map((s) => [s.spanId, s]));
    for (const s of spans) {
      const got = bySpan.get(s.spanContext().spanId)!;
      expect(got, s.name).toBeDefined();
      expect(got.parentSpanId).toBe(s.parentSpanContext?.spanId ?? '');
      expect(got.name).toBe(s.name);
      expect(got.kind).toBe(s.kind + 1); // the API's enum is 0-based unspecified, OTLP's wire form
      expect(got.startUs).toBe(s.startTime[0] * 1e6 + Math.floor(s.startTime[1] / 1000));
      expect(got.durationMs).toBeCloseTo(s.duration[0] * 1e3 + s.duration[1] / 1e6, 6);
      // Its server spans are the slowest of their routes this minute: the whole trace is kept as slow.
      expect(got.kept).toBe('slow');
      expect(got.resource['host.name']).toBe('web-1');
    }
    const served = t.spans.find((s) => s.service === 'inventory')!;
    expect(served.route).toBe('GET /stock/{id}');
    expect(served.attributes['stock.count']).toBe(3);
    expect(served.events.map((e) => [e.name, e.attributes])).toEqual([['cache.miss', { key: 'stock:42' }]]);
    expect(t.spans.find((s) => s.kind === 3)!.route).toBeNull(); // a client span is no request
    expect(t.spans.map((s) => s.startUs)).toEqual([...t.spans.map((s) => s.startUs)].sort((a, b) => a - b));
  });

  it('keeps every error trace whole, each route\'s slowest, and a sample of whole traces under the cap', async () => {
    const { tenant, ingestKey } = await seedTenant();
    const end = Date.now() - 1000;
    const spans: TestSpan[] = [];
    const threeSpanTraces: { id: string; error: boolean }[] = [];
    // 30 traces with an error in their third span, 300 without, 3 spans each.
    for (let i = 0; i < 330; i++) {
      const id = hex(16);
      const error = i < 30;
      threeSpanTraces.push({ id, error });
      spans.push({ route: '/order', durationMs: 2, end, traceId: id });
      spans.push({ kind: 3, durationMs: 1, end, traceId: id });
      spans.push({ kind: 1, durationMs: 1, end, traceId: id, statusCode: error ? 2 : undefined });
    }
    // 2,500 one-span traces of a bulk route; five of them are much slower than the rest.
    const slowIds: string[] = [];
    for (let i = 0; i < 2500; i++) {
      const id = hex(16);
      if (i % 500 === 7) slowIds.push(id);
      spans.push({ route: '/bulk', durationMs: i % 500 === 7 ? 900 + i / 100 : 1, end, traceId: id });
    }
    expect((await postTraces(ingestKey, otlpTraces('sampled-svc', spans))).status).toBe(200);

    // What the rules say should be stored: the level is the lowest whose sample fits the cap.
    const hist = new Array<number>(TRACE_SAMPLING.maxLevel).fill(0);
    const levelOf = new Map<string, number>();
    for (const s of spans) levelOf.set(s.traceId!, traceLevel(s.traceId!));
    const errorIds = new Set(threeSpanTraces.filter((t) => t.error).map((t) => t.id));
    for (const s of spans) if (!errorIds.has(s.traceId!)) hist[levelOf.get(s.traceId!)!]!++;
    // A new service's first request may take the burst allowance, no more.
    const level = levelFor(hist, TRACE_SAMPLING.sampleBurst);
    expect(level).toBeGreaterThan(0); // the test's volume is past the cap
    const promoted = new Set([...errorIds, ...slowIds]);
    const expected = spans.filter((s) => promoted.has(s.traceId!) || levelOf.get(s.traceId!)! >= level);

    const rows = await stored(tenant.id, expected.length);
    expect(rows.length).toBe(expected.length);
    const byTrace = new Map<string, string[]>();
    for (const r of rows) byTrace.set(r.trace_id, [...(byTrace.get(r.trace_id) ?? []), r.kept]);
    for (const id of errorIds) expect(byTrace.get(id)).toEqual(['error', 'error', 'error']);
    for (const id of slowIds) expect(byTrace.get(id)).toEqual(['slow']);
    for (const t of threeSpanTraces) if (!t.error) expect(byTrace.get(t.id)?.length ?? 0, t.id).toBe(levelOf.get(t.id)! >= level ? 3 : 0);
    const sampled = rows.filter((r) => r.kept === 'sample').length;
    expect(sampled).toBeGreaterThan(0);
    expect(sampled).toBeLessThanOrEqual(TRACE_SAMPLING.sampledSpansPerMinute);

    // Another service's spans of the same traces, in a later request: decided by the same trace
    // ids, so a trace the busy service sampled is kept here too (this quiet service keeps all).
    const keptSample = threeSpanTraces.find((t) => !t.error && levelOf.get(t.id)! >= level)!;
    expect((await postTraces(ingestKey, otlpTraces('quiet-svc', [{ route: '/x', durationMs: 1, end, traceId: keptSample.id }]))).status).toBe(200);
    const after = await stored(tenant.id, expected.length + 1);
    expect(after.filter((r) => r.trace_id === keptSample.id).map((r) => r.service).sort()).toEqual(['quiet-svc', 'sampled-svc', 'sampled-svc', 'sampled-svc']);
  });

  it('holds the sample cap across requests of a minute', async () => {
    const { tenant, ingestKey } = await seedTenant();
    const end = Date.now() - 1000;
    for (let r = 0; r < 3; r++) {
      const spans = Array.from({ length: 1000 }, () => ({ route: '/many', durationMs: 1, end, traceId: hex(16) }));
      expect((await postTraces(ingestKey, otlpTraces('capped-svc', spans))).status).toBe(200);
    }
    // 3,000 spans offered at once; the sample takes the burst allowance (a little more as it
    // refills), never more than the cap.
    const rows = await stored(tenant.id, 1);
    await new Promise((r) => setTimeout(r, 500)); // let the last writes land
    const final = await stored(tenant.id, rows.length);
    const sampled = final.filter((r) => r.kept === 'sample').length;
    expect(sampled).toBeGreaterThan(TRACE_SAMPLING.sampleBurst / 4);
    expect(sampled).toBeLessThanOrEqual(TRACE_SAMPLING.sampleBurst + 20); // + refill during the test's few seconds
    expect(sampled).toBeLessThanOrEqual(TRACE_SAMPLING.sampledSpansPerMinute);
  });

  it('caps attribute counts, keys and values (truncated and marked), and stores odd text safely', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const traceId = hex(16);
    const attrs: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) attrs[`a${String(i).padStart(3, '0')}`] = i;
    attrs.a000 = 'v'.repeat(10_000);
    attrs['k'.repeat(400)] = 'long key';
    attrs.odd = 'nul\u0000 and a lone \ud800 surrogate';
    const res = await postTraces(ingestKey, otlpTraces('caps-svc', [{ route: '/caps', durationMs: 3, end: Date.now() - 1000, traceId, attrs }]));
    expect(res.status).toBe(200);
    await stored(tenant.id, 1);
    const t = (await (await get(readKey, `/api/v1/traces/${traceId}`)).json()) as TraceResponse;
    const s = t.spans[0]!;
    expect(Object.keys(s.attributes)).toHaveLength(TRACE_LIMITS.maxAttributes);
    // Sent: http.request.method, http.route and 202 more; kept 128.
    expect(s.dropped.attributes).toBe(204 - TRACE_LIMITS.maxAttributes);
    expect(s.attributes.a000).toBe(`${'v'.repeat(TRACE_LIMITS.maxValueLength)}…`);
    expect(s.dropped.truncated).toBeGreaterThanOrEqual(1);
    expect(s.attributes.a001).toBe(1);
  });

  it('keeps the long key and odd text when they are within the count', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const traceId = hex(16);
    const res = await postTraces(ingestKey, otlpTraces('odd-svc', [{ route: '/odd', durationMs: 3, end: Date.now() - 1000, traceId, attrs: { ['k'.repeat(400)]: 'long key', odd: 'nul\u0000 lone \ud800 end' } }]));
    expect(res.status).toBe(200);
    await stored(tenant.id, 1);
    const s = ((await (await get(readKey, `/api/v1/traces/${traceId}`)).json()) as TraceResponse).spans[0]!;
    expect(s.attributes[`${'k'.repeat(TRACE_LIMITS.maxKeyLength)}…`]).toBe('long key');
    expect(s.attributes.odd).toBe('nul\uFFFD lone \uFFFD end');
    expect(s.dropped).toEqual({ attributes: 0, events: 0, links: 0, truncated: 1 });
  });
});

describe('exemplars', () => {
  it("the service's signals carry its slowest stored spans, whose traces open, on the per-second and rollup tiers", async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const end = Date.now() - 2000;
    const slowA = hex(16);
    const slowB = hex(16);
    const spans: TestSpan[] = [
      ...Array.from({ length: 20 }, (_, i) => ({ route: '/a', durationMs: 5 + i, end })),
      { route: '/a', durationMs: 800, end, traceId: slowA },
      ...Array.from({ length: 20 }, (_, i) => ({ route: '/b', durationMs: 3 + i, end })),
      { route: '/b', durationMs: 600, end, traceId: slowB },
    ];
    expect((await postTraces(ingestKey, otlpTraces('exemplar-svc', spans))).status).toBe(200);
    await stored(tenant.id, 10); // 5 per route (the sample keeps more)
    await waitFor(() => get(readKey, '/api/v1/services/exemplar-svc/signals?points=2'), (r) => r.status === 200);
    const signals = async (q: string) => {
      const r = await get(readKey, `/api/v1/services/exemplar-svc/signals?${q}`);
      expect(r.status).toBe(200);
      return (await r.json()) as SignalsResponse;
    };
    const live = await signals(`from=${end - 60_000}&points=60`);
    expect(live.tier).toBe('1s');
    expect(live.exemplars.length).toBeGreaterThanOrEqual(2);
    expect(live.exemplars.length).toBeLessThanOrEqual(TRACE_SAMPLING.slowestPerRouteMinute);
    const top = [...live.exemplars].sort((a, b) => b.ms - a.ms);
    expect(top.slice(0, 2).map((e) => [e.traceId, e.route])).toEqual([[slowA, 'GET /a'], [slowB, 'GET /b']]);
    expect(top[0]!.ms).toBeCloseTo(800, 3);
    const routeB = await signals(`from=${end - 60_000}&points=60&route=${encodeURIComponent('GET /b')}`);
    expect(routeB.exemplars.every((e) => e.route === 'GET /b')).toBe(true);
    expect(routeB.exemplars).toHaveLength(TRACE_SAMPLING.slowestPerRouteMinute);
    // The rollup tier (a 2 h range) reads them from the stored spans.
    const wide = await signals(`from=${end - 2 * 3600_000}&points=100`);
    expect(wide.tier).not.toBe('1s');
    expect(wide.exemplars.slice().sort((a, b) => b.ms - a.ms)[0]!.traceId).toBe(slowA);
    for (const id of [slowA, slowB]) expect((await get(readKey, `/api/v1/traces/${id}`)).status).toBe(200);
  });
});

describe('GET /api/v1/traces', () => {
  it('filters by service, route, duration and error, newest first, and pages with the cursor', async () => {
    const { tenant, ingestKey, readKey } = await seedTenant();
    const now = Date.now();
    const spans: TestSpan[] = Array.from({ length: 30 }, (_, i) => ({ route: i % 2 ? '/a' : '/b', durationMs: 10 + i, end: now - 60_000 + i * 1000, status: i % 10 === 0 ? 500 : 200 }));
    expect((await postTraces(ingestKey, otlpTraces('search-svc', spans))).status).toBe(200);
    expect((await postTraces(ingestKey, otlpTraces('other-svc', [{ route: '/a', durationMs: 99, end: now - 1000 }]))).status).toBe(200);
    await stored(tenant.id, 31);
    const search = async (q: string) => {
      const r = await get(readKey, `/api/v1/traces?from=${now - 3600_000}${q}`);
      expect(r.status, q).toBe(200);
      return (await r.json()) as TraceSearchResponse;
    };
    const all = await search('&service=search-svc');
    expect(all.spans).toHaveLength(30);
    expect(all.spans.map((s) => s.startUs)).toEqual([...all.spans.map((s) => s.startUs)].sort((a, b) => b - a));
    expect((await search('')).spans).toHaveLength(31);
    expect((await search(`&service=search-svc&route=${encodeURIComponent('GET /a')}`)).spans).toHaveLength(15);
    expect((await search('&service=search-svc&min_duration=35')).spans.map((s) => s.durationMs).sort()).toEqual([35, 36, 37, 38, 39]);
    const errors = await search('&service=search-svc&error=true');
    expect(errors.spans.map((s) => s.durationMs).sort()).toEqual([10, 20, 30]);
    expect(errors.spans.every((s) => s.error && s.kept === 'error')).toBe(true);
    expect((await search('&service=search-svc&error=false')).spans).toHaveLength(27);
    // Pages of 12: disjoint, together the whole list, in order.
    const pages: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5 && cursor !== null; i++) {
      const p = await search(`&service=search-svc&limit=12${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...p.spans.map((s) => s.spanId));
      cursor = p.nextCursor as string;
      if (p.nextCursor === null) break;
    }
    expect(pages).toEqual(all.spans.map((s) => s.spanId));
  });

  it('stores the spans of exports that arrive while an earlier write is finishing', async () => {
    // The writer drains one shared queue per isolate. Rows queued while a drain closed its
    // connection were once left until the next export (seen in CI only, under load; this burst
    // does not reliably hit that window on a quiet machine, but guards the whole burst path).
    const { tenant, ingestKey } = await seedTenant();
    const now = Date.now();
    const posts = Array.from({ length: 16 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 7)).then(() => postTraces(ingestKey, otlpTraces(`burst-${i}`, [{ route: '/x', durationMs: 5, end: now - 1000 }]))),
    );
    expect((await Promise.all(posts)).map((r) => r.status)).toEqual(new Array(16).fill(200));
    expect(new Set((await stored(tenant.id, 16)).map((r) => r.service)).size).toBe(16);
  });

  it('answers bad parameters with a 400 naming them', async () => {
    const { readKey } = await seedTenant();
    const bad = async (path: string, field: string) => {
      const r = await get(readKey, path);
      expect(r.status, path).toBe(400);
      expect(((await r.json()) as { error: { field: string } }).error.field, path).toBe(field);
    };
    await bad('/api/v1/traces/not-a-trace', 'traceId');
    await bad(`/api/v1/traces/${'0'.repeat(32)}`, 'traceId');
    await bad('/api/v1/traces?min_duration=fast', 'min_duration');
    await bad('/api/v1/traces?min_duration=-1', 'min_duration');
    await bad('/api/v1/traces?error=maybe', 'error');
    await bad('/api/v1/traces?cursor=abc', 'cursor');
    await bad('/api/v1/traces?limit=0', 'limit');
    await bad('/api/v1/traces?from=yesterday', 'from');
    await bad(`/api/v1/traces?from=${Date.now()}&to=${Date.now() - 1000}`, 'from');
    await bad(`/api/v1/traces?service=${encodeURIComponent('a\nb')}`, 'service');
    expect((await get(readKey, `/api/v1/traces/${hex(16)}`)).status).toBe(404);
  });

  it("keeps organizations apart: another organization's trace id is a 404 and never in its search", async () => {
    const a = await seedTenant('A');
    const b = await seedTenant('B');
    const traceId = hex(16);
    expect((await postTraces(a.ingestKey, otlpTraces('private-svc', [{ route: '/p', durationMs: 5, end: Date.now() - 1000, traceId }]))).status).toBe(200);
    await stored(a.tenant.id, 1);
    expect((await get(a.readKey, `/api/v1/traces/${traceId}`)).status).toBe(200);
    const r = await get(b.readKey, `/api/v1/traces/${traceId}`);
    expect(r.status).toBe(404);
    expect(await r.text()).not.toContain('private-svc');
    const s = (await (await get(b.readKey, '/api/v1/traces?service=private-svc')).json()) as TraceSearchResponse;
    expect(s.spans).toEqual([]);
    expect(((await (await get(b.readKey, '/api/v1/traces')).json()) as TraceSearchResponse).spans.map((x) => x.traceId)).not.toContain(traceId);
  });
});

describe('trace reads over the HTTP query path', () => {
  it('returns a trace whose spans straddle a day partition boundary whole, in order, and only its organization\'s spans', async () => {
    const { tenant, readKey } = await seedTenant();
    const other = await seedTenant();
    const traceId = hex(16);
    const midnight = Math.floor(Date.now() / 86_400_000) * 86_400_000; // today's partition starts here
    const row = (spanId: string, parent: string, startUs: number, entry: boolean, service: string) => ({
      trace_id: traceId, span_id: spanId, parent_span_id: parent, service, route: entry ? 'GET /edge' : null, name: entry ? 'GET /edge' : 'db.query',
      kind: entry ? 2 : 3, start_us: startUs, duration_ms: 2.5, error: false, status_code: 0, status_message: '', kept: 'sample' as const, entry,
      attributes: { 'edge.n': startUs % 1000 }, resource: { 'service.name': service }, events: [], links: [],
      dropped: { attributes: 0, events: 0, links: 0, truncated: 0 },
    });
    const root = hex(8);
    const rows = [
      row(root, '', midnight * 1000 - 1500, true, 'edge-a'), // yesterday's partition
      row(hex(8), root, midnight * 1000 - 1, false, 'edge-a'),
      row(hex(8), root, midnight * 1000, false, 'edge-b'), // today's partition
      row(hex(8), root, midnight * 1000 + 700, false, 'edge-b'),
    ];
    await withDb(env, async (db) => {
      await insertSpans(db, rows.map((r) => ({ ...r, tenant_id: tenant.id })), Date.now());
      // The same trace id in another organization (an id it guessed or copied) stays its own.
      await insertSpans(db, [{ ...row(hex(8), '', midnight * 1000 + 5, true, 'intruder'), tenant_id: other.tenant.id }], Date.now());
    });
    const parts = await withDb(env, async (db) =>
      (await db.execute(sql`SELECT DISTINCT tableoid::regclass::text AS part FROM spans WHERE tenant_id = ${tenant.id} AND trace_id = ${traceId}`)).rows.length);
    expect(parts, 'the spans are in two day partitions').toBe(2);

    const r = await get(readKey, `/api/v1/traces/${traceId}`);
    expect(r.status).toBe(200);
    const t = (await r.json()) as TraceResponse;
    expect(t.spans.map((s) => [s.spanId, s.startUs])).toEqual(rows.map((s) => [s.span_id, s.start_us]));
    expect(t.services.sort()).toEqual(['edge-a', 'edge-b']);
    expect(t.spans[3]!.attributes['edge.n']).toBe((midnight * 1000 + 700) % 1000);
    expect(t.spans[3]!.durationMs).toBe(2.5);
    expect(t.spans[0]!.route).toBe('GET /edge');
    expect(t.spans[1]!.route).toBeNull();

    const o = (await (await get(other.readKey, `/api/v1/traces/${traceId}`)).json()) as TraceResponse;
    expect(o.spans.map((s) => s.service)).toEqual(['intruder']);

    const s = await get(readKey, `/api/v1/traces?service=edge-a&from=${midnight - 60_000}&to=${midnight + 60_000}`);
    expect(s.status).toBe(200);
    expect(((await s.json()) as TraceSearchResponse).spans.map((x) => x.spanId)).toEqual([root]);
  });
});
