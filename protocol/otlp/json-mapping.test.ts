// The OTLP/HTTP JSON mapping rules on hand-made bodies: 64-bit integers as strings or numbers,
// enums as integers or names, snake_case keys, unknown fields and nulls, hex ids, base64 bytes.
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeMetrics, decodeTraces, validateSpan, type Span } from './index.ts';
import { decodeError, utf8 } from './test-helpers.ts';

const json = (v: unknown) => utf8(JSON.stringify(v));
const oneSpan = (span: unknown, extra: Record<string, unknown> = {}): Span => {
  const req = decodeTraces(json({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }], ...extra }), 'json');
  return req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
};
const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

describe('OTLP JSON mapping', () => {
  it('64-bit integers as decimal strings or numbers, 32-bit ones too', () => {
    const s = oneSpan({
      traceId: TRACE,
      spanId: SPAN,
      startTimeUnixNano: '1544712660000000000',
      endTimeUnixNano: 1544712661000000000,
      droppedAttributesCount: '3',
      flags: '257',
      attributes: [
        { key: 'asString', value: { intValue: '123' } },
        { key: 'asNumber', value: { intValue: 123 } },
        { key: 'negative', value: { intValue: '-42' } },
        { key: 'beyondSafe', value: { intValue: '9007199254740993' } },
        { key: 'int64Min', value: { intValue: '-9223372036854775808' } },
        { key: 'double', value: { doubleValue: 2.5 } },
        { key: 'doubleString', value: { doubleValue: '2.5' } },
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: '-Infinity' } },
      ],
    });
    expect(s.startTimeUnixNano).toBe(1544712660000000000n);
    expect(s.endTimeUnixNano).toBe(1544712661000000000n); // a number: exact here as a double
    expect(s.droppedAttributesCount).toBe(3);
    expect(s.flags).toBe(257);
    expect(s.attributes).toStrictEqual({
      asString: 123,
      asNumber: 123,
      negative: -42,
      beyondSafe: 9007199254740993n,
      int64Min: -(2n ** 63n),
      double: 2.5,
      doubleString: 2.5,
      nan: NaN,
      inf: -Infinity,
    });
  });

  it('enums as integers or as their names', () => {
    expect(oneSpan({ kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR', message: 'x' } })).toMatchObject({ kind: 3, status: { code: 2, message: 'x' } });
    expect(oneSpan({ kind: 4, status: { code: 1 } })).toMatchObject({ kind: 4, status: { code: 1 } });
    const logs = decodeLogs(json({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 'SEVERITY_NUMBER_WARN3' }, { severityNumber: 21 }] }] }] }), 'json');
    expect(logs.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((l) => l.severityNumber)).toStrictEqual([15, 21]);
    const metrics = decodeMetrics(json({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA', isMonotonic: true, dataPoints: [] } }] }] }] }), 'json');
    expect(metrics.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data).toStrictEqual({ type: 'sum', points: [], temporality: 1, isMonotonic: true });
    expect(decodeError(() => oneSpan({ kind: 'SPAN_KIND_SERVERLESS' })).message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].kind: unknown value "SPAN_KIND_SERVERLESS"; expected an integer or one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER',
    );
  });

  it('proto snake_case keys decode like lowerCamelCase ones', () => {
    const camel = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 's' } }], droppedAttributesCount: 1 },
          schemaUrl: 'r',
          scopeSpans: [
            {
              scope: { name: 'n', version: 'v' },
              schemaUrl: 'sc',
              spans: [
                {
                  traceId: TRACE,
                  spanId: SPAN,
                  parentSpanId: '0102030405060708',
                  traceState: 'a=b',
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                  droppedAttributesCount: 2,
                  attributes: [
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'x', value: { boolValue: true } }] } } },
                    { key: 'arr', value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'two' }] } } },
                    { key: 'bin', value: { bytesValue: 'AAEC' } },
                    { key: 'd', value: { doubleValue: 0.5 } },
                  ],
                  events: [{ timeUnixNano: '3', name: 'e' }],
                  links: [{ traceId: TRACE, spanId: SPAN, traceState: 't=1' }],
                },
              ],
            },
          ],
        },
      ],
    };
    const snake = {
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 's' } }], dropped_attributes_count: 1 },
          schema_url: 'r',
          scope_spans: [
            {
              scope: { name: 'n', version: 'v' },
              schema_url: 'sc',
              spans: [
                {
                  trace_id: TRACE,
                  span_id: SPAN,
                  parent_span_id: '0102030405060708',
                  trace_state: 'a=b',
                  start_time_unix_nano: '1',
                  end_time_unix_nano: '2',
                  dropped_attributes_count: 2,
                  attributes: [
                    { key: 'kv', value: { kvlist_value: { values: [{ key: 'x', value: { bool_value: true } }] } } },
                    { key: 'arr', value: { array_value: { values: [{ int_value: 1 }, { string_value: 'two' }] } } },
                    { key: 'bin', value: { bytes_value: 'AAEC' } },
                    { key: 'd', value: { double_value: 0.5 } },
                  ],
                  events: [{ time_unix_nano: '3', name: 'e' }],
                  links: [{ trace_id: TRACE, span_id: SPAN, trace_state: 't=1' }],
                },
              ],
            },
          ],
        },
      ],
    };
    const a = decodeTraces(json(camel), 'json');
    expect(decodeTraces(json(snake), 'json')).toStrictEqual(a);
    const s = a.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(s.attributes).toStrictEqual({ kv: { x: true }, arr: [1, 'two'], bin: new Uint8Array([0, 1, 2]), d: 0.5 });
    expect(s.links[0]!.traceState).toBe('t=1');
    expect(a.resourceSpans[0]!.resource).toStrictEqual({ attributes: { 'service.name': 's' }, droppedAttributesCount: 1 });

    const logsSnake = { resource_logs: [{ scope_logs: [{ log_records: [{ time_unix_nano: '5', observed_time_unix_nano: '6', severity_number: 9, severity_text: 'I', trace_id: TRACE, span_id: SPAN, event_name: 'ev', dropped_attributes_count: 1 }] }] }] };
    expect(decodeLogs(json(logsSnake), 'json').resourceLogs[0]!.scopeLogs[0]!.logRecords[0]).toMatchObject({
      timeUnixNano: 5n,
      observedTimeUnixNano: 6n,
      severityNumber: 9,
      severityText: 'I',
      traceId: TRACE,
      spanId: SPAN,
      eventName: 'ev',
      droppedAttributesCount: 1,
    });
  });

  it('unknown fields are ignored at every level, and null means the default', () => {
    const s = oneSpan(
      { traceId: TRACE, spanId: SPAN, name: null, kind: null, futureField: { deep: [1, 2] }, status: { code: 2, detail: 'x' }, attributes: [{ key: 'a', value: { stringValue: 'b', futureValue: 1 }, extra: true }] },
      { somethingNew: 1 },
    );
    expect(s).toMatchObject({ name: '', kind: 0, status: { code: 2, message: '' }, attributes: { a: 'b' } });
  });

  it('an empty value skips the attribute (and the array element); a null body is undefined', () => {
    const s = oneSpan({ attributes: [{ key: 'empty', value: {} }, { key: 'missing' }, { key: 'nullValue', value: null }, { key: 'arr', value: { arrayValue: { values: [{}, { intValue: 1 }] } } }] });
    expect(s.attributes).toStrictEqual({ arr: [1] });
    const logs = decodeLogs(json({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: {} }, { body: null }, {}] }] }] }), 'json');
    expect(logs.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((l) => l.body)).toStrictEqual([undefined, undefined, undefined]);
  });

  it('ids are hex: uppercase is lowercased, all-zero parent means none, bad ones are left to validateSpan', () => {
    const s = oneSpan({ traceId: TRACE.toUpperCase(), spanId: SPAN.toUpperCase(), parentSpanId: '0000000000000000', startTimeUnixNano: '1', endTimeUnixNano: '2' });
    expect([s.traceId, s.spanId, s.parentSpanId]).toStrictEqual([TRACE, SPAN, '']);
    expect(validateSpan(s)).toBeNull();
    // Base64 (what a protobuf JSON encoder without OTLP's exception writes) is not hex: the span
    // decodes and validateSpan names what is wrong.
    const b64 = oneSpan({ traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: SPAN, startTimeUnixNano: '1', endTimeUnixNano: '2' });
    expect(b64.traceId).toBe('w47/95gdgqpsabyzgt/gda==');
    expect(validateSpan(b64)).toBe('bad trace id');
  });

  it('bytesValue is base64, standard or URL-safe, padded or not', () => {
    const bin = (b64: string) => oneSpan({ attributes: [{ key: 'b', value: { bytesValue: b64 } }] }).attributes.b;
    expect(bin('/+8=')).toStrictEqual(new Uint8Array([0xff, 0xef]));
    expect(bin('_-8')).toStrictEqual(new Uint8Array([0xff, 0xef]));
    expect(bin('')).toStrictEqual(new Uint8Array([]));
    expect(bin('aGVsbG8gd29ybGQ=')).toStrictEqual(utf8('hello world'));
    expect(decodeError(() => bin('a$b=')).message).toBe('resourceSpans[0].scopeSpans[0].spans[0].attributes["b"].bytesValue: expected base64, got "a$b="');
    expect(decodeError(() => bin('abcde')).reason).toBe('expected base64, got "abcde"');
  });

  it('a "__proto__" attribute key stays an ordinary own property', () => {
    const s = oneSpan({ attributes: [{ key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } }] });
    expect(Object.getPrototypeOf(s.attributes)).toBe(Object.prototype);
    expect(Object.keys(s.attributes)).toStrictEqual(['__proto__']);
    expect((s.attributes as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('summary metrics and every point field, snake_case included', () => {
    const body = {
      resource_metrics: [
        {
          scope_metrics: [
            {
              metrics: [
                {
                  name: 'rpc.duration',
                  unit: 's',
                  summary: { data_points: [{ start_time_unix_nano: '1', time_unix_nano: '2', count: '10', sum: 4.5, quantile_values: [{ quantile: 0.5, value: 0.3 }, { quantile: 0.99, value: '1.2' }], flags: 1 }] },
                },
                { name: 'h', histogram: { aggregation_temporality: 2, data_points: [{ count: 3, bucket_counts: ['1', 2], explicit_bounds: [1, '2.5'], sum: 3, min: 0.5, max: 2 }] } },
                { name: 'e', exponential_histogram: { data_points: [{ count: '4', scale: -2, zero_count: '1', zero_threshold: 0.001, positive: { offset: -3, bucket_counts: ['1', '2'] }, negative: { bucket_counts: [] } }] } },
                { name: 'g', gauge: { data_points: [{ as_int: '-9223372036854775808' }, { as_double: '1e3' }] } },
                { name: 'no-data', description: 'a metric without data' },
              ],
            },
          ],
        },
      ],
    };
    const m = decodeMetrics(json(body), 'json').resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(m[0]!.data).toStrictEqual({
      type: 'summary',
      points: [{ attributes: {}, startTimeUnixNano: 1n, timeUnixNano: 2n, count: 10, sum: 4.5, quantileValues: [{ quantile: 0.5, value: 0.3 }, { quantile: 0.99, value: 1.2 }], flags: 1 }],
    });
    expect(m[1]!.data).toMatchObject({ type: 'histogram', temporality: 2, points: [{ count: 3, bucketCounts: [1, 2], explicitBounds: [1, 2.5], sum: 3, min: 0.5, max: 2 }] });
    expect(m[2]!.data).toMatchObject({ type: 'exponentialHistogram', temporality: 0, points: [{ count: 4, scale: -2, zeroCount: 1, zeroThreshold: 0.001, positive: { offset: -3, bucketCounts: [1, 2] }, negative: { offset: 0, bucketCounts: [] } }] });
    expect(m[3]!.data).toMatchObject({ type: 'gauge', points: [{ value: -(2n ** 63n) }, { value: 1000 }] });
    expect(m[4]).toStrictEqual({ name: 'no-data', description: 'a metric without data', unit: '', data: { type: 'none' } });
  });
});
