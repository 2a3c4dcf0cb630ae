// Spans made by the official SDK, serialized by the official OTLP serializers as protobuf and as
// JSON: both decode to the same records, and to what the SDK held.
import { context, createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { decodeTraces, validateSpan, type Span, type TracesRequest } from './index.ts';
import { expectedAttrs, ns } from './test-helpers.ts';

const ATTRS = {
  str: 'hello',
  empty: '',
  unicode: 'grüße, 世界 🚀',
  long: 'x'.repeat(300),
  yes: true,
  no: false,
  int: 42,
  zero: 0,
  neg: -7,
  bigPos: 2 ** 60,
  bigNeg: -(2 ** 60),
  maxSafe: Number.MAX_SAFE_INTEGER,
  double: 3.25,
  negDouble: -0.001,
  strs: ['a', 'b', ''],
  ints: [1, -2, 3],
  doubles: [1.5, 2.5],
  bools: [true, false],
  withNull: ['x', null, 'y'],
  none: undefined,
};

async function makeSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.2', 'host.cores': 8 }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('pulse.test', '0.9.1', { schemaUrl: 'https://example.test/scope-schema' });
  const other = provider.getTracer('other.lib');

  const root = tracer.startSpan('GET /cart', { kind: SpanKind.SERVER, attributes: ATTRS, startTime: [1_760_000_000, 123_456_789] });
  root.addEvent('cache.miss', { key: 'cart:42', size: 3 }, [1_760_000_000, 200_000_000]);
  root.addEvent('no-attrs', [1_760_000_000, 300_000_000]);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timed out' });

  const ctx = trace.setSpan(context.active(), root);
  for (const kind of [SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]) {
    const child = tracer.startSpan(`child-${kind}`, { kind }, ctx);
    child.setStatus({ code: SpanStatusCode.OK });
    child.end();
  }

  // A span continuing a remote trace with a trace state, and links (one with attributes).
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=abc,other=1'),
  });
  const linked = other.startSpan('consume batch', {
    kind: SpanKind.CONSUMER,
    links: [
      { context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, traceState: createTraceState('k=v') }, attributes: { 'messaging.batch.index': 0 } },
      { context: { traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: '10f067aa0ba902b7', traceFlags: TraceFlags.NONE, isRemote: true } },
    ],
  }, remote);
  linked.end();
  root.end([1_760_000_001, 0]);
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

function expected(s: ReadableSpan): Span {
  const c = s.spanContext();
  return {
    traceId: c.traceId,
    spanId: c.spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? '',
    traceState: c.traceState?.serialize() ?? '',
    name: s.name,
    kind: s.kind + 1,
    startTimeUnixNano: ns(s.startTime),
    endTimeUnixNano: ns(s.endTime),
    attributes: expectedAttrs(s.attributes),
    droppedAttributesCount: 0,
    events: s.events.map((e) => ({ timeUnixNano: ns(e.time), name: e.name, attributes: expectedAttrs(e.attributes) })),
    links: s.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      traceState: l.context.traceState?.serialize() ?? '',
      attributes: expectedAttrs(l.attributes),
      flags: l.context.traceFlags | 0x100 | (l.context.isRemote ? 0x200 : 0),
    })),
    status: { code: s.status.code, message: s.status.message ?? '' },
    flags: c.traceFlags | 0x100 | (s.parentSpanContext?.isRemote ? 0x200 : 0),
  };
}

const allSpans = (r: TracesRequest) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

describe('OTLP traces from the official SDK and serializers', async () => {
  const spans = await makeSpans();
  const fromProto = decodeTraces(ProtobufTraceSerializer.serializeRequest(spans)!, 'protobuf');
  const fromJson = decodeTraces(JsonTraceSerializer.serializeRequest(spans)!, 'json');

  it('protobuf and JSON decode to deep-equal records', () => {
    expect(allSpans(fromProto)).toHaveLength(6);
    expect(fromJson).toStrictEqual(fromProto);
  });

  it.each([
    ['protobuf', fromProto],
    ['json', fromJson],
  ])('%s: every span is what the SDK recorded', (_, req) => {
    const got = allSpans(req);
    for (const s of spans) expect(got.find((g) => g.spanId === s.spanContext().spanId)).toStrictEqual(expected(s));
    for (const g of got) expect(validateSpan(g)).toBeNull();
  });

  it.each([
    ['protobuf', fromProto],
    ['json', fromJson],
  ])('%s: value kinds, kinds, status, resource and scope', (_, req) => {
    expect(req.resourceSpans).toHaveLength(1);
    const rs = req.resourceSpans[0]!;
    expect(rs.schemaUrl).toBe('https://opentelemetry.io/schemas/1.30.0');
    expect(rs.resource.attributes).toMatchObject({ 'service.name': 'checkout', 'service.version': '1.4.2', 'host.cores': 8 });
    expect(rs.scopeSpans.map((s) => [s.scope.name, s.scope.version, s.schemaUrl])).toStrictEqual([
      ['pulse.test', '0.9.1', 'https://example.test/scope-schema'],
      ['other.lib', '', ''],
    ]);
    const root = allSpans(req).find((s) => s.name === 'GET /cart')!;
    expect(root.attributes).toStrictEqual({
      str: 'hello',
      empty: '',
      unicode: 'grüße, 世界 🚀',
      long: 'x'.repeat(300),
      yes: true,
      no: false,
      int: 42,
      zero: 0,
      neg: -7,
      bigPos: 2n ** 60n,
      bigNeg: -(2n ** 60n),
      maxSafe: Number.MAX_SAFE_INTEGER,
      double: 3.25,
      negDouble: -0.001,
      strs: ['a', 'b', ''],
      ints: [1, -2, 3],
      doubles: [1.5, 2.5],
      bools: [true, false],
      withNull: ['x', 'y'], // the null element is an empty AnyValue: skipped
    }); // `none` (undefined) is not sent at all
    expect(root.kind).toBe(2);
    expect(root.startTimeUnixNano).toBe(1_760_000_000_123_456_789n);
    expect(root.endTimeUnixNano).toBe(1_760_000_001_000_000_000n);
    expect(root.status).toStrictEqual({ code: 2, message: 'upstream timed out' });
    expect(root.events.map((e) => [e.name, e.timeUnixNano, e.attributes])).toStrictEqual([
      ['cache.miss', 1_760_000_000_200_000_000n, { key: 'cart:42', size: 3 }],
      ['no-attrs', 1_760_000_000_300_000_000n, {}],
    ]);
    const children = allSpans(req).filter((s) => s.name.startsWith('child-'));
    expect(children.map((c) => c.kind).sort()).toStrictEqual([1, 3, 4, 5]);
    for (const c of children) {
      expect(c.parentSpanId).toBe(root.spanId);
      expect(c.traceId).toBe(root.traceId);
      expect(c.status.code).toBe(1);
    }
    const linked = allSpans(req).find((s) => s.name === 'consume batch')!;
    expect(linked.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(linked.parentSpanId).toBe('b7ad6b7169203331');
    expect(linked.traceState).toBe('vendor=abc,other=1');
    expect(linked.flags).toBe(0x301);
    expect(linked.links).toStrictEqual([
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceState: 'k=v', attributes: { 'messaging.batch.index': 0 }, flags: 0x101 },
      { traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: '10f067aa0ba902b7', traceState: '', attributes: {}, flags: 0x300 },
    ]);
  });
});
