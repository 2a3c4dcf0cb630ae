// Response bodies: read back by the official exporters' own response deserializers (protobuf)
// and as JSON; google.rpc.Status by the project's wire reader and by its exact bytes.
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { encodeExportResponse, encodeStatus, otlpEncoding } from './index.ts';
import { Reader } from './wire.ts';

const protobuf = { traces: ProtobufTraceSerializer, metrics: ProtobufMetricsSerializer, logs: ProtobufLogsSerializer } as const;
const json = { traces: JsonTraceSerializer, metrics: JsonMetricsSerializer, logs: JsonLogsSerializer } as const;
const field = { traces: 'rejectedSpans', metrics: 'rejectedDataPoints', logs: 'rejectedLogRecords' } as const;

describe('encodeExportResponse', () => {
  it.each(['traces', 'metrics', 'logs'] as const)('%s: empty, and with partial_success, in both encodings', (kind) => {
    const empty = encodeExportResponse(kind, 'protobuf');
    expect(empty).toStrictEqual(new Uint8Array(0));
    expect(protobuf[kind].deserializeResponse(empty)).toStrictEqual({});
    expect(encodeExportResponse(kind, 'json')).toBe('{}');

    const partial = { rejected: 300, message: '300 spans had bad ids — dropped' };
    const pb = encodeExportResponse(kind, 'protobuf', partial);
    expect(protobuf[kind].deserializeResponse(pb)).toStrictEqual({ partialSuccess: { [field[kind]]: 300, errorMessage: partial.message } });

    const text = encodeExportResponse(kind, 'json', partial);
    expect(JSON.parse(text)).toStrictEqual({ partialSuccess: { [field[kind]]: '300', errorMessage: partial.message } });
    expect(json[kind].deserializeResponse(new TextEncoder().encode(text))).toStrictEqual(JSON.parse(text));
  });

  it('a warning without rejections, and large counts', () => {
    expect(ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', 'protobuf', { rejected: 0, message: 'slow down' }))).toStrictEqual({ partialSuccess: { errorMessage: 'slow down' } });
    expect(JSON.parse(encodeExportResponse('logs', 'json', { rejected: 0, message: 'slow down' }))).toStrictEqual({ partialSuccess: { errorMessage: 'slow down' } });
    expect(ProtobufMetricsSerializer.deserializeResponse(encodeExportResponse('metrics', 'protobuf', { rejected: 5_000_000_000, message: '' }))).toStrictEqual({ partialSuccess: { rejectedDataPoints: 5_000_000_000 } });
    expect(encodeExportResponse('traces', 'protobuf', { rejected: 3, message: 'x' })).toStrictEqual(Uint8Array.from([0x0a, 0x05, 0x08, 0x03, 0x12, 0x01, 0x78]));
  });
});

function readStatus(bytes: Uint8Array): { code: number; message: string } {
  const r = new Reader(bytes);
  const out = { code: 0, message: '' };
  while (r.pos < bytes.length) {
    const tag = r.tag(bytes.length);
    if (tag === 0x08) out.code = r.int32(bytes.length);
    else if (tag === 0x12) out.message = r.string(bytes.length);
    else throw new Error(`unexpected tag ${tag}`);
  }
  return out;
}

describe('encodeStatus', () => {
  it('google.rpc.Status as protobuf and JSON', () => {
    expect(encodeStatus(3, 'resourceSpans[0]: truncated', 'protobuf')).toStrictEqual(Uint8Array.from([0x08, 0x03, 0x12, 27, ...new TextEncoder().encode('resourceSpans[0]: truncated')]));
    for (const [code, message] of [[3, 'bad'], [8, 'ü — grüße'], [0, ''], [16, 'x'.repeat(300)], [-1, 'negative']] as const) {
      expect(readStatus(encodeStatus(code, message, 'protobuf'))).toStrictEqual({ code, message });
      expect(JSON.parse(encodeStatus(code, message, 'json'))).toStrictEqual({ code, message });
    }
  });
});

describe('otlpEncoding', () => {
  it('maps OTLP/HTTP content types', () => {
    expect(otlpEncoding('application/x-protobuf')).toBe('protobuf');
    expect(otlpEncoding('Application/JSON; charset=utf-8')).toBe('json');
    expect(otlpEncoding('text/plain')).toBeNull();
    expect(otlpEncoding(null)).toBeNull();
  });
});
