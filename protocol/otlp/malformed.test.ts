// Malformed input: every failure is an OtlpDecodeError naming what is wrong and where (never a
// RangeError, a stack overflow or a hang), in both encodings.
import { SpanKind } from '@opentelemetry/api';
import { JsonLogsSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeMetrics, decodeTraces, OtlpDecodeError } from './index.ts';
import { decodeError, pb, utf8 } from './test-helpers.ts';

const u8 = (a: number[]) => Uint8Array.from(a);
const traces = (span: number[]) => u8(pb.ld(1, pb.ld(2, pb.ld(2, span))));
const SPAN_PATH = 'resourceSpans[0].scopeSpans[0].spans[0]';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function sdkBodies() {
  const exporter = new InMemorySpanExporter();
  const tp = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'fuzz' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = tp.getTracer('fuzz');
  for (let i = 0; i < 5; i++) {
    const s = tracer.startSpan(`op ${i}`, { kind: SpanKind.SERVER, attributes: { i, s: 'x'.repeat(i * 10), d: i + 0.5, a: [1, 2], b: [true] } });
    s.addEvent('e', { k: i });
    s.end();
  }
  await tp.forceFlush();
  const reader = new Reader();
  const meter = new MeterProvider({ readers: [reader] }).getMeter('fuzz');
  meter.createCounter('c').add(3, { a: 'b' });
  meter.createHistogram('h').record(12);
  const { resourceMetrics } = await reader.collect();
  const logExporter = new InMemoryLogRecordExporter();
  const lp = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  lp.getLogger('fuzz').emit({ body: { m: 'x', n: [1, 'y'] }, attributes: { a: 1 } });
  await lp.forceFlush();
  return {
    traces: ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!,
    metrics: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!,
    logs: ProtobufLogsSerializer.serializeRequest(logExporter.getFinishedLogRecords())!,
    logsJson: JsonLogsSerializer.serializeRequest(logExporter.getFinishedLogRecords())!,
  };
}

/** A small deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decodes and reports 'ok' or 'error'; any other exception fails the test. */
function outcome(fn: () => unknown): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof OtlpDecodeError)) throw e;
    return 'error';
  }
}

/** AnyValue{arrayValue{values: …}} `depth` times around a string, written outside in. */
function nestedArrays(depth: number): number[] {
  const leaf = pb.str(1, 'leaf');
  const values: number[] = []; // values[i]: length of the AnyValue inside level i's ArrayValue
  const arrays: number[] = []; // arrays[i]: length of level i's ArrayValue
  let v = leaf.length;
  for (let i = 0; i < depth; i++) {
    values.push(v);
    const a = 1 + pb.varint(v).length + v;
    arrays.push(a);
    v = 1 + pb.varint(a).length + a;
  }
  const out: number[] = [];
  for (let i = depth - 1; i >= 0; i--) out.push(0x2a, ...pb.varint(arrays[i]!), 0x0a, ...pb.varint(values[i]!));
  for (const b of leaf) out.push(b);
  return out;
}

describe('malformed protobuf', async () => {
  const bodies = await sdkBodies();
  const decoders = [
    ['traces', bodies.traces, (b: Uint8Array) => decodeTraces(b, 'protobuf')],
    ['metrics', bodies.metrics, (b: Uint8Array) => decodeMetrics(b, 'protobuf')],
    ['logs', bodies.logs, (b: Uint8Array) => decodeLogs(b, 'protobuf')],
  ] as const;

  it.each(decoders)('%s: every truncation of a real body is an OtlpDecodeError', (name, body, decode) => {
    expect(outcome(() => decode(body))).toBe('ok');
    const top = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' }[name];
    for (let n = 1; n < body.length; n++) {
      const e = decodeError(() => decode(body.subarray(0, n)));
      expect(e.message).toMatch(new RegExp(`^${top}\\[0\\]: truncated: `));
    }
  });

  it.each(decoders)('%s: random corruption never escapes as anything but OtlpDecodeError', (_, body, decode) => {
    const rand = rng(12345);
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      const b = Array.from(body);
      const edits = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < edits; j++) {
        const at = Math.floor(rand() * b.length);
        const op = rand();
        if (op < 0.6) b[at] = Math.floor(rand() * 256);
        else if (op < 0.8) b.splice(at, 1);
        else b.splice(at, 0, Math.floor(rand() * 256));
      }
      seen[outcome(() => decode(u8(b)))]++;
    }
    expect(seen.error).toBeGreaterThan(500);
    for (let i = 0; i < 1000; i++) {
      const garbage = u8(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      outcome(() => decode(garbage));
    }
  });

  it('text that is not protobuf', () => {
    expect(decodeError(() => decodeTraces(utf8('{"resourceSpans":[]}'), 'protobuf')).message).toMatch(/truncated/);
    expect(decodeError(() => decodeTraces(utf8('hello world'), 'protobuf'))).toBeInstanceOf(OtlpDecodeError);
  });

  it('a length running past its message names the field', () => {
    const span = [...pb.ld(1, new Array(16).fill(1)), ...pb.tag(5, 2), 50, 97, 98, 99];
    expect(decodeError(() => decodeTraces(traces(span), 'protobuf')).message).toBe(`${SPAN_PATH}.name: truncated: length 50 exceeds the 3 bytes left (at byte 25)`);
  });

  it('a known field in the wrong wire type', () => {
    expect(decodeError(() => decodeTraces(traces([...pb.tag(1, 0), 5]), 'protobuf')).message).toBe(`${SPAN_PATH}.traceId: wire type varint, expected length-delimited (at byte 6)`);
    const attr = pb.ld(9, [...pb.str(1, 'http.method'), ...pb.ld(2, [...pb.tag(1, 0), 1])]);
    expect(decodeError(() => decodeTraces(traces(attr), 'protobuf')).message).toBe(`${SPAN_PATH}.attributes["http.method"].stringValue: wire type varint, expected length-delimited (at byte 23)`);
    expect(decodeError(() => decodeTraces(traces([...pb.tag(7, 2), 0]), 'protobuf')).reason).toMatch(/^wire type length-delimited, expected fixed64/);
    const events = [...pb.ld(11, [...pb.tag(1, 5), 1, 2, 3, 4])];
    expect(decodeError(() => decodeTraces(traces(events), 'protobuf')).path).toBe(`${SPAN_PATH}.events[0].timeUnixNano`);
  });

  it('bad varints, field number 0, invalid wire types, stray end-group', () => {
    expect(decodeError(() => decodeTraces(traces([...pb.tag(6, 0), ...new Array(10).fill(0xff), 1]), 'protobuf')).message).toBe(`${SPAN_PATH}.kind: varint longer than 10 bytes (at byte 7)`);
    expect(decodeError(() => decodeTraces(traces([...pb.tag(6, 0), 0xff]), 'protobuf')).reason).toMatch(/^truncated/);
    expect(decodeError(() => decodeTraces(traces([0x00]), 'protobuf')).message).toBe(`${SPAN_PATH}: invalid field number 0 (at byte 6)`);
    expect(decodeError(() => decodeTraces(traces([...pb.tag(99, 6)]), 'protobuf')).reason).toMatch(/^invalid wire type 6/);
    expect(decodeError(() => decodeTraces(traces([...pb.tag(99, 7)]), 'protobuf')).reason).toMatch(/^invalid wire type 7/);
    expect(decodeError(() => decodeTraces(traces([...pb.tag(99, 4)]), 'protobuf')).reason).toMatch(/^end-group tag without a start-group/);
    expect(decodeError(() => decodeTraces(traces([...pb.tag(99, 3), ...pb.tag(1, 0), 1]), 'protobuf')).reason).toMatch(/^truncated/);
    expect(decodeError(() => decodeTraces(u8([0x0a, ...new Array(10).fill(0x80), 0]), 'protobuf')).reason).toMatch(/^varint longer than 10 bytes/);
    expect(decodeError(() => decodeTraces(u8([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 'protobuf')).reason).toMatch(/^truncated: length \d+ exceeds the 0 bytes left/);
  });

  it('values nested too deep are refused, however deep', () => {
    for (const depth of [40, 20_000]) {
      const v = nestedArrays(depth);
      const e = decodeError(() => decodeTraces(traces(pb.ld(9, [...pb.str(1, 'deep'), ...pb.ld(2, v)])), 'protobuf'));
      expect(e.reason).toMatch(/^values nested more than 32 deep/);
      expect(e.path).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\["deep"\]\.arrayValue\.values\[0\]\.arrayValue/);
    }
  });
});

describe('malformed JSON', async () => {
  const { logsJson } = await sdkBodies();
  const span = (s: unknown) => utf8(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [s] }] }] }));
  const traceErr = (body: Uint8Array) => decodeError(() => decodeTraces(body, 'json')).message;

  it('not JSON, or not an object', () => {
    expect(traceErr(utf8('not json'))).toMatch(/^invalid JSON: /);
    expect(traceErr(new Uint8Array(0))).toMatch(/^invalid JSON: /);
    expect(traceErr(utf8('[1,2]'))).toBe('expected an object, got a list');
    expect(traceErr(utf8('"resourceSpans"'))).toBe('expected an object, got "resourceSpans"');
    expect(traceErr(utf8('{"resourceSpans":{}}'))).toBe('resourceSpans: expected a list, got an object');
    expect(traceErr(utf8('{"resourceSpans":[{"scopeSpans":[7]}]}'))).toBe('resourceSpans[0].scopeSpans[0]: expected an object, got number 7');
    expect(traceErr(span('x'))).toBe(`${SPAN_PATH}: expected an object, got "x"`);
  });

  it('fields of the wrong type are named', () => {
    expect(traceErr(span({ traceId: 5 }))).toBe(`${SPAN_PATH}.traceId: expected a string, got number 5`);
    expect(traceErr(span({ name: ['a'] }))).toBe(`${SPAN_PATH}.name: expected a string, got a list`);
    expect(traceErr(span({ kind: 1.5 }))).toBe(`${SPAN_PATH}.kind: expected an enum integer or name, got number 1.5`);
    expect(traceErr(span({ flags: -1 }))).toBe(`${SPAN_PATH}.flags: expected an unsigned 32-bit integer, got number -1`);
    expect(traceErr(span({ status: [] }))).toBe(`${SPAN_PATH}.status: expected an object, got a list`);
    expect(traceErr(span({ status: { code: 'BAD' } }))).toMatch(new RegExp(`^${SPAN_PATH.replace(/[[\].]/g, '\\$&')}\\.status\\.code: unknown value "BAD"`));
    expect(traceErr(span({ events: [{ timeUnixNano: 'soon' }] }))).toBe(`${SPAN_PATH}.events[0].timeUnixNano: expected an unsigned 64-bit integer (decimal string or number), got "soon"`);
    expect(traceErr(span({ links: [{}, { spanId: {} }] }))).toBe(`${SPAN_PATH}.links[1].spanId: expected a string, got an object`);
    for (const t of ['-1', '1.5', '', ' 1', '0x10', '18446744073709551616', -1, 1.5, true]) expect(traceErr(span({ startTimeUnixNano: t }))).toMatch(/startTimeUnixNano: expected an unsigned 64-bit integer/);
  });

  it('attribute values of the wrong type are named by their key', () => {
    const attr = (value: unknown) => traceErr(span({ attributes: [{ key: 'k', value }] }));
    expect(attr({ intValue: '12abc' })).toBe(`${SPAN_PATH}.attributes["k"].intValue: expected a 64-bit integer (number or decimal string), got "12abc"`);
    expect(attr({ intValue: '9223372036854775808' })).toMatch(/intValue: expected a 64-bit integer/);
    expect(attr({ intValue: 1.5 })).toMatch(/intValue: expected a 64-bit integer/);
    expect(attr({ boolValue: 'true' })).toBe(`${SPAN_PATH}.attributes["k"].boolValue: expected true or false, got "true"`);
    expect(attr({ doubleValue: 'fast' })).toBe(`${SPAN_PATH}.attributes["k"].doubleValue: expected a number, got "fast"`);
    expect(attr({ arrayValue: { values: [{ stringValue: 1 }] } })).toBe(`${SPAN_PATH}.attributes["k"].arrayValue.values[0].stringValue: expected a string, got number 1`);
    expect(attr({ kvlistValue: { values: [{ key: 'inner', value: { intValue: false } }] } })).toBe(`${SPAN_PATH}.attributes["k"].kvlistValue.values["inner"].intValue: expected a 64-bit integer (number or decimal string), got boolean false`);
    expect(attr('plain')).toBe(`${SPAN_PATH}.attributes["k"]: expected an object, got "plain"`);
    expect(traceErr(span({ attributes: { k: 'v' } }))).toBe(`${SPAN_PATH}.attributes: expected a list, got an object`);
    expect(traceErr(span({ attributes: [{ key: 7, value: {} }] }))).toBe(`${SPAN_PATH}.attributes[0].key: expected a string, got number 7`);
  });

  it('metrics and logs name their fields too', () => {
    const metric = (m: unknown) => decodeError(() => decodeMetrics(utf8(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [m] }] }] })), 'json')).message;
    const M = 'resourceMetrics[0].scopeMetrics[0].metrics[0]';
    expect(metric({ histogram: { dataPoints: [{ bucketCounts: ['x'] }] } })).toBe(`${M}.histogram.dataPoints[0].bucketCounts[0]: expected an unsigned 64-bit integer, got "x"`);
    expect(metric({ sum: { isMonotonic: 'yes' } })).toBe(`${M}.sum.isMonotonic: expected true or false, got "yes"`);
    expect(metric({ gauge: [] })).toBe(`${M}.gauge: expected an object, got a list`);
    expect(metric({ exponential_histogram: { data_points: [{ positive: { offset: 'a' } }] } })).toBe(`${M}.exponential_histogram.data_points[0].positive.offset: expected a 32-bit integer, got "a"`);
    const log = (l: unknown) => decodeError(() => decodeLogs(utf8(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [l] }] }] })), 'json')).message;
    expect(log({ severityNumber: 'LOUD' })).toMatch(/^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.severityNumber: unknown value "LOUD"/);
    expect(log({ body: { bytesValue: '***' } })).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue: expected base64, got "***"');
    expect(decodeError(() => decodeLogs(logsJson.subarray(0, logsJson.length - 5), 'json')).message).toMatch(/^invalid JSON: /);
  });

  it('values nested too deep are refused, however deep', () => {
    for (const depth of [40, 100_000]) {
      const body = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${'{"arrayValue":{"values":['.repeat(depth)}{"intValue":1}${']}}'.repeat(depth)}}]}]}]}`;
      const e = decodeError(() => decodeLogs(utf8(body), 'json'));
      expect(e.message).toMatch(/^(invalid JSON: .*|resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.body\.arrayValue\.values\[0\].*: values nested more than 32 deep)$/);
      if (depth === 40) expect(e.reason).toBe('values nested more than 32 deep');
    }
  });
});
