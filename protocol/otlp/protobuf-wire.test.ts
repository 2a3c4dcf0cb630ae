// Hand-made protobuf for what the official serializers never write but other producers may:
// unpacked repeated scalars, unknown fields of every wire type, repeated singular messages
// (merged), 10-byte negative varints, ids of the wrong length, a summary metric.
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeMetrics, decodeTraces, validateLogRecord, validateSpan } from './index.ts';
import { toHex } from './shared.ts';
import { pb } from './test-helpers.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const u8 = (a: number[]) => Uint8Array.from(a);

/** ExportTraceServiceRequest { resource_spans { scope_spans { spans: span } } } with extras. */
const traces = (span: number[], resourceExtra: number[] = []) => u8(pb.ld(1, [...resourceExtra, ...pb.ld(2, pb.ld(2, span))]));
const kv = (key: string, value: number[]) => [...pb.str(1, key), ...pb.ld(2, value)];
const oneSpan = (span: number[]) => decodeTraces(traces(span), 'protobuf').resourceSpans[0]!.scopeSpans[0]!.spans[0]!;

describe('OTLP protobuf wire details', () => {
  it('unknown fields of every wire type are skipped, a group included', () => {
    const span = [
      ...pb.ld(1, pb.hex(TRACE)),
      ...pb.tag(100, 0), ...pb.varint(2n ** 63n), // varint, 10 bytes
      ...pb.tag(101, 1), 1, 2, 3, 4, 5, 6, 7, 8, // fixed64
      ...pb.ld(102, [1, 2, 3]), // length-delimited
      ...pb.tag(103, 5), 1, 2, 3, 4, // fixed32
      ...pb.tag(104, 3), ...pb.tag(1, 0), 5, ...pb.tag(2, 3), ...pb.tag(2, 4), ...pb.tag(104, 4), // group with a nested group
      ...pb.ld(2, pb.hex(SPAN)),
      ...pb.str(5, 'after unknowns'),
      ...pb.tag(12, 0), 7, // dropped_events_count: known, not kept
    ];
    expect(oneSpan(span)).toMatchObject({ traceId: TRACE, spanId: SPAN, name: 'after unknowns' });
  });

  it('a singular message sent twice is merged, a scalar sent twice keeps the last', () => {
    const resource = (attrs: number[]) => pb.ld(1, pb.ld(1, attrs));
    const span = [...pb.str(5, 'first'), ...pb.str(5, 'second'), ...pb.ld(15, pb.str(2, 'msg')), ...pb.ld(15, [...pb.tag(3, 0), 2])];
    const req = decodeTraces(traces(span, [...resource(kv('a', pb.str(1, 'x'))), ...resource(kv('b', [...pb.tag(2, 0), 1]))]), 'protobuf');
    const rs = req.resourceSpans[0]!;
    expect(rs.resource.attributes).toStrictEqual({ a: 'x', b: true });
    expect(rs.scopeSpans[0]!.spans[0]!).toMatchObject({ name: 'second', status: { code: 2, message: 'msg' } });
  });

  it('int64 values: negative 10-byte varints, extremes as bigint', () => {
    const attrs = [
      ...pb.ld(9, kv('neg', [...pb.tag(3, 0), ...pb.varint(-5)])),
      ...pb.ld(9, kv('min', [...pb.tag(3, 0), ...pb.varint(-(2n ** 63n))])),
      ...pb.ld(9, kv('max', [...pb.tag(3, 0), ...pb.varint(2n ** 63n - 1n)])),
      ...pb.ld(9, kv('safe', [...pb.tag(3, 0), ...pb.varint(2 ** 53 - 1)])),
      ...pb.ld(9, kv('unsafe', [...pb.tag(3, 0), ...pb.varint(-(2n ** 53n))])),
      ...pb.ld(9, kv('bool', [...pb.tag(2, 0), ...pb.varint(2n ** 40n)])),
      ...pb.ld(9, kv('empty', [])),
      ...pb.ld(9, kv('strindex', [...pb.tag(8, 0), 3])),
    ];
    expect(oneSpan(attrs).attributes).toStrictEqual({ neg: -5, min: -(2n ** 63n), max: 2n ** 63n - 1n, safe: 2 ** 53 - 1, unsafe: -(2n ** 53n), bool: true });
  });

  it('ids of the wrong length decode to their hex; validateSpan and validateLogRecord reject them', () => {
    const s = oneSpan([...pb.ld(1, pb.hex('0102030405060708')), ...pb.ld(2, pb.hex(SPAN)), ...pb.fixed64(7, 1n), ...pb.fixed64(8, 2n)]);
    expect(s.traceId).toBe('0102030405060708');
    expect(validateSpan(s)).toBe('bad trace id');
    const none = oneSpan([...pb.ld(1, []), ...pb.ld(2, pb.hex(SPAN))]);
    expect(none.traceId).toBe('');
    expect(validateSpan(none)).toBe('bad trace id');
    const zeros = oneSpan([...pb.ld(1, new Array(16).fill(0)), ...pb.ld(2, pb.hex(SPAN)), ...pb.ld(4, new Array(8).fill(0))]);
    expect([zeros.traceId, zeros.parentSpanId]).toStrictEqual(['0'.repeat(32), '']);
    expect(validateSpan(zeros)).toBe('bad trace id');

    const log = (fields: number[]) => decodeLogs(u8(pb.ld(1, pb.ld(2, pb.ld(2, fields)))), 'protobuf').resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    const shortSpan = log([...pb.fixed64(1, 1n), ...pb.ld(9, pb.hex(TRACE)), ...pb.ld(10, [1, 2, 3])]);
    expect(shortSpan.spanId).toBe('010203');
    expect(validateLogRecord(shortSpan)).toBe('bad span id');
    // All-zero ids are how some SDKs say "no trace context".
    const zeroIds = log([...pb.fixed64(1, 1n), ...pb.ld(9, new Array(16).fill(0)), ...pb.ld(10, new Array(8).fill(0))]);
    expect([zeroIds.traceId, zeroIds.spanId, validateLogRecord(zeroIds)]).toStrictEqual(['', '', null]);
  });

  it('repeated scalars are accepted packed and unpacked', () => {
    const point = (counts: number[], bounds: number[]) => pb.ld(1, [...pb.fixed64(4, 3n), ...counts, ...bounds]);
    const metric = (dp: number[]) => u8(pb.ld(1, pb.ld(2, pb.ld(2, [...pb.str(1, 'h'), ...pb.ld(9, [...dp, ...pb.tag(2, 0), 2])]))));
    const f64 = (v: bigint) => pb.fixed64(6, v).slice(1);
    const dbl = (v: number) => pb.double(7, v).slice(1);
    const packed = metric(point(pb.ld(6, [...f64(1n), ...f64(2n)]), pb.ld(7, [...dbl(0.5), ...dbl(5)])));
    const unpacked = metric(point([...pb.fixed64(6, 1n), ...pb.fixed64(6, 2n)], [...pb.double(7, 0.5), ...pb.double(7, 5)]));
    const a = decodeMetrics(packed, 'protobuf');
    expect(decodeMetrics(unpacked, 'protobuf')).toStrictEqual(a);
    expect(a.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data).toMatchObject({ type: 'histogram', temporality: 2, points: [{ count: 3, bucketCounts: [1, 2], explicitBounds: [0.5, 5] }] });
  });

  it('summary points (no SDK writes them) match their JSON twin', () => {
    const q = (quantile: number, value: number) => pb.ld(6, [...pb.double(1, quantile), ...pb.double(2, value)]);
    const dp = [...pb.ld(7, kv('rpc', pb.str(1, 'get'))), ...pb.fixed64(2, 1n), ...pb.fixed64(3, 2n), ...pb.fixed64(4, 10n), ...pb.double(5, 4.5), ...q(0.5, 0.3), ...q(0.99, 1.2), ...pb.tag(8, 0), 1];
    const body = u8(pb.ld(1, pb.ld(2, pb.ld(2, [...pb.str(1, 'rpc.duration'), ...pb.str(3, 's'), ...pb.ld(11, pb.ld(1, dp))]))));
    const jsonBody = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'rpc.duration',
                  unit: 's',
                  summary: {
                    dataPoints: [
                      {
                        attributes: [{ key: 'rpc', value: { stringValue: 'get' } }],
                        startTimeUnixNano: '1',
                        timeUnixNano: '2',
                        count: '10',
                        sum: 4.5,
                        quantileValues: [{ quantile: 0.5, value: 0.3 }, { quantile: 0.99, value: 1.2 }],
                        flags: 1,
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const fromProto = decodeMetrics(body, 'protobuf');
    expect(decodeMetrics(new TextEncoder().encode(JSON.stringify(jsonBody)), 'json')).toStrictEqual(fromProto);
    expect(fromProto.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data).toMatchObject({ type: 'summary', points: [{ count: 10, sum: 4.5, attributes: { rpc: 'get' } }] });
  });

  it('the data oneof: the last member wins, a repeat of the same one merges', () => {
    const num = (v: number) => pb.ld(1, pb.double(4, v));
    const metric = [...pb.str(1, 'm'), ...pb.ld(5, num(1)), ...pb.ld(7, num(2)), ...pb.ld(7, [...num(3), ...pb.tag(3, 0), 1])];
    const m = decodeMetrics(u8(pb.ld(1, pb.ld(2, pb.ld(2, metric)))), 'protobuf').resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
    expect(m.data).toMatchObject({ type: 'sum', isMonotonic: true, points: [{ value: 2 }, { value: 3 }] });
  });

  it('short strings come back right however often they repeat or collide in the string cache', () => {
    // 4,000 distinct keys and values (ASCII of 1-48 bytes, some non-ASCII, one invalid UTF-8)
    // against 1,024 cache slots: collisions are certain, each must still decode to its own text.
    const texts: string[] = [];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 4000; i++) {
      const len = 1 + (next() % 48);
      let t = '';
      for (let j = 0; j < len; j++) t += String.fromCharCode(32 + (next() % 95));
      texts.push(i % 50 === 0 ? `${t}é` : t);
    }
    const attrs = texts.flatMap((t, i) => pb.ld(9, kv(t, pb.str(1, texts[(i + 1) % texts.length]!))));
    const invalid = pb.ld(9, [...pb.ld(1, [0x61, 0xe9]), ...pb.ld(2, pb.ld(1, [0xe9, 0x61]))]);
    const body = traces([...attrs, ...invalid]);
    const expected: Record<string, string> = {};
    texts.forEach((t, i) => (expected[t] = texts[(i + 1) % texts.length]!));
    expected['a\ufffd'] = '\ufffda';
    for (let round = 0; round < 3; round++) expect(decodeTraces(body, 'protobuf').resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes).toStrictEqual(expected);
  });

  it('an empty body is an empty request', () => {
    expect(decodeTraces(new Uint8Array(0), 'protobuf')).toStrictEqual({ resourceSpans: [] });
    expect(decodeMetrics(new Uint8Array(0), 'protobuf')).toStrictEqual({ resourceMetrics: [] });
    expect(decodeLogs(new Uint8Array(0), 'protobuf')).toStrictEqual({ resourceLogs: [] });
  });
});

describe('toHex', () => {
  it('writes span and trace ids (its 8- and 16-byte fast paths) as every other length does, for every byte value', () => {
    const bytes = Uint8Array.from({ length: 256 + 16 }, (_, i) => i & 255);
    const slow = (start: number, end: number) => [...bytes.subarray(start, end)].map((b) => b.toString(16).padStart(2, '0')).join('');
    for (let start = 0; start <= 256; start++) {
      for (const n of [7, 8, 9, 16]) if (start + n <= bytes.length) expect(toHex(bytes, start, start + n)).toBe(slow(start, start + n));
    }
  });
});
