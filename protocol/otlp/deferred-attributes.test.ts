// Span attributes decoded on demand (pb-traces.ts, onlyAttributes): the same request as a full
// decode, refused where a full decode refuses it with the same error, and the attributes made
// later (spanAttributes) equal to a full decode's, in the same order.
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { decodeTraces, OtlpDecodeError, spanAttributes, type Span, type TracesRequest } from './index.ts';
import { decodeError, pb } from './test-helpers.ts';

const ONLY = ['http.route', 'http.request.method', 'http.response.status_code', '__proto__'];
const u8 = (a: number[]) => Uint8Array.from(a);
const spansOf = (req: TracesRequest): Span[] => req.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
const lazy = (b: Uint8Array) => decodeTraces(b, 'protobuf', { onlyAttributes: ONLY });
const full = (b: Uint8Array) => decodeTraces(b, 'protobuf');

async function sdkBody(): Promise<Uint8Array> {
  const exporter = new InMemorySpanExporter();
  const tp = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'web-1' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = tp.getTracer('deferred');
  for (let i = 0; i < 6; i++) {
    const server = i % 2 === 0;
    const s = tracer.startSpan(server ? 'GET /cart/{id}' : 'db.query', {
      kind: server ? SpanKind.SERVER : SpanKind.CLIENT,
      attributes: server
        ? { 'url.path': `/cart/${i}`, 'http.request.method': 'GET', 'http.route': '/cart/{id}', 'http.response.status_code': 200 + i, 'user_agent.original': 'grüße 🚀', n: [1, 2, i], ok: true, ratio: i / 3 }
        : { 'db.system': 'postgresql', 'db.statement': 'x'.repeat(i * 40), big: 2 ** 60, flags: [true, false] },
    });
    s.addEvent('e', { k: i });
    s.end();
  }
  await tp.forceFlush();
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!;
}

/** A span whose attributes the SDK cannot make: kvlist and bytes values, a repeated key, "__proto__". */
function handMadeBody(): Uint8Array {
  const kv = (key: string, value: number[]) => pb.ld(9, [...pb.str(1, key), ...pb.ld(2, value)]);
  const span = [
    ...pb.ld(1, pb.hex('0af7651916cd43dd8448eb211c80319c')),
    ...pb.ld(2, pb.hex('b7ad6b7169203331')),
    ...pb.str(5, 'op'),
    ...pb.tag(6, 0), 2,
    ...pb.fixed64(7, 1_760_000_000_000_000_000n),
    ...kv('dup', pb.str(1, 'first')),
    ...pb.fixed64(8, 1_760_000_000_100_000_000n),
    ...kv('map', pb.ld(6, [...pb.ld(1, [...pb.str(1, 'inner'), ...pb.ld(2, [...pb.tag(3, 0), 7])]), ...pb.ld(1, [...pb.str(1, 'deeper'), ...pb.ld(2, pb.ld(5, pb.ld(1, pb.str(1, 'x'))))])])),
    ...kv('http.route', pb.str(1, '/a')),
    ...kv('raw', pb.ld(7, [0, 1, 255])),
    ...kv('dup', pb.str(1, 'second')),
    ...kv('__proto__', pb.str(1, 'own')),
    ...kv('empty', []),
  ];
  return u8(pb.ld(1, pb.ld(2, pb.ld(2, span))));
}

/** The deferred decode equals the full one: few keys now, all of them (in order) once asked. */
function expectSameRequest(body: Uint8Array) {
  const want = full(body);
  const got = lazy(body);
  const w = spansOf(want);
  const g = spansOf(got);
  expect(g.length).toBe(w.length);
  g.forEach((s, i) => {
    const all = w[i]!.attributes;
    const now = Object.fromEntries(Object.entries(all).filter(([k]) => ONLY.includes(k)));
    expect({ ...s.attributes }).toStrictEqual(now);
    expect(s.deferred === null).toBe(Object.keys(all).every((k) => ONLY.includes(k)));
    const attrs = spanAttributes(s);
    expect(attrs).toStrictEqual(all);
    expect(Object.keys(attrs)).toStrictEqual(Object.keys(all));
    expect(s.deferred).toBeNull();
    const { deferred, ...rest } = s;
    expect(deferred).toBeNull();
    expect(rest).toStrictEqual(w[i]);
  });
}

describe('deferred span attributes', async () => {
  const body = await sdkBody();

  it('an SDK body: the same spans, with only the asked keys made until spanAttributes', () => {
    const g = spansOf(lazy(body));
    expect(g.filter((s) => s.kind === 2).map((s) => s.attributes)).toStrictEqual([0, 2, 4].map((i) => ({ 'http.request.method': 'GET', 'http.route': '/cart/{id}', 'http.response.status_code': 200 + i })));
    expect(g.filter((s) => s.kind === 3).every((s) => Object.keys(s.attributes).length === 0 && s.deferred !== null)).toBe(true);
    expectSameRequest(body);
  });

  it('kvlist and bytes values, a repeated key (the last wins), "__proto__" as an own key', () => {
    expectSameRequest(handMadeBody());
    const s = spansOf(lazy(handMadeBody()))[0]!;
    expect(Object.getOwnPropertyDescriptor(s.attributes, '__proto__')?.value).toBe('own');
    expect(spanAttributes(s).dup).toBe('second');
  });

  it('a span with none of the keys, or only them, holds nothing back', () => {
    const only = u8(pb.ld(1, pb.ld(2, pb.ld(2, pb.ld(9, [...pb.str(1, 'http.route'), ...pb.ld(2, pb.str(1, '/x'))])))));
    expect(spansOf(lazy(only))[0]!.deferred).toBeNull();
    expectSameRequest(only);
    const none = u8(pb.ld(1, pb.ld(2, pb.ld(2, pb.str(5, 'no attributes')))));
    expect(spansOf(lazy(none))[0]!.deferred).toBeNull();
  });

  it('a malformed attribute not asked for is refused with the full decode\'s error', () => {
    const bad = [
      pb.ld(9, [...pb.str(1, 'k'), ...pb.ld(2, [...pb.tag(1, 0), 1])]), // stringValue as a varint
      pb.ld(9, [...pb.str(1, 'k'), ...pb.ld(2, [...pb.tag(4, 0), 1])]), // doubleValue as a varint
      pb.ld(9, [...pb.str(1, 'k'), ...pb.ld(2, pb.ld(5, [...pb.tag(1, 0), 1]))]), // array element not a message
      pb.ld(9, [...pb.str(1, 'k'), ...pb.ld(2, [...pb.tag(2, 0), ...new Array(10).fill(0xff), 1])]), // an 11-byte varint
      pb.ld(9, [...pb.tag(1, 0), 3]), // the key as a varint
      pb.ld(9, [...pb.str(1, 'k'), ...pb.ld(2, [...pb.tag(9, 3)])]), // an unclosed group
    ];
    let depth: number[] = pb.str(1, 'leaf');
    for (let i = 0; i < 40; i++) depth = pb.ld(5, pb.ld(1, depth));
    bad.push(pb.ld(9, [...pb.str(1, 'deep'), ...pb.ld(2, depth)]));
    for (const b of bad) {
      const body = u8(pb.ld(1, pb.ld(2, pb.ld(2, b))));
      const want = decodeError(() => full(body));
      expect(decodeError(() => lazy(body)).message).toBe(want.message);
      expect(want.path).toMatch(/attributes/);
    }
  });

  it('random corruption: accepted and refused exactly as the full decode does, with the same errors', () => {
    let seed = 2024;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const seen = { ok: 0, error: 0 };
    for (const source of [body, handMadeBody()]) {
      for (let i = 0; i < 2000; i++) {
        const b = Array.from(source);
        for (let j = 0, edits = 1 + Math.floor(rand() * 3); j < edits; j++) {
          const at = Math.floor(rand() * b.length);
          const op = rand();
          if (op < 0.6) b[at] = Math.floor(rand() * 256);
          else if (op < 0.8) b.splice(at, 1);
          else b.splice(at, 0, Math.floor(rand() * 256));
        }
        const mutated = u8(b);
        let wantError: OtlpDecodeError | null = null;
        try {
          full(mutated);
        } catch (e) {
          if (!(e instanceof OtlpDecodeError)) throw e;
          wantError = e;
        }
        if (wantError) {
          expect(decodeError(() => lazy(mutated)).message).toBe(wantError.message);
          seen.error++;
        } else {
          expectSameRequest(mutated);
          seen.ok++;
        }
      }
    }
    // Both outcomes were exercised many times.
    expect(seen.ok).toBeGreaterThan(300);
    expect(seen.error).toBeGreaterThan(300);
  });
});
