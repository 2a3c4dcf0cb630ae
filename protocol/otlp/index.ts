// OTLP/HTTP request decoders for POST /v1/traces, /v1/metrics and /v1/logs (protobuf or JSON,
// both to the same records; types.ts has the mapping rules) and the response bodies.
// Decoding checks structure only: a malformed body throws OtlpDecodeError naming the field;
// a record with bad ids decodes as is and validateSpan/validateLogRecord tell the route why to
// drop it.
import { decodeLogsJson } from './json-logs.ts';
import { decodeMetricsJson } from './json-metrics.ts';
import { decodeTracesJson } from './json-traces.ts';
import { decodeLogsProto } from './pb-logs.ts';
import { decodeMetricsProto } from './pb-metrics.ts';
import { decodeTracesProto, type TracesDecodeOptions } from './pb-traces.ts';
import type { OtlpEncoding } from './response.ts';
import type { LogsRequest, MetricsRequest, TracesRequest } from './types.ts';

export { OtlpDecodeError } from './shared.ts';
export { encodeExportResponse, encodeStatus, type OtlpEncoding, type OtlpKind } from './response.ts';
export { validateLogRecord, validateSpan } from './validate.ts';
export { spanAttributes, type TracesDecodeOptions } from './pb-traces.ts';
export type * from './types.ts';

/** `opts` applies to protobuf; JSON.parse has made every value anyway. */
export function decodeTraces(body: Uint8Array, encoding: OtlpEncoding, opts?: TracesDecodeOptions): TracesRequest {
  return encoding === 'json' ? decodeTracesJson(body) : decodeTracesProto(body, opts);
}

export function decodeMetrics(body: Uint8Array, encoding: OtlpEncoding): MetricsRequest {
  return encoding === 'json' ? decodeMetricsJson(body) : decodeMetricsProto(body);
}

export function decodeLogs(body: Uint8Array, encoding: OtlpEncoding): LogsRequest {
  return encoding === 'json' ? decodeLogsJson(body) : decodeLogsProto(body);
}

/**
 * The encoding a Content-Type names (OTLP/HTTP: application/x-protobuf or application/json,
 * parameters ignored), or null for anything else (a 415 for the route).
 */
export function otlpEncoding(contentType: string | null | undefined): OtlpEncoding | null {
  const t = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (t === 'application/x-protobuf' || t === 'application/protobuf') return 'protobuf';
  if (t === 'application/json') return 'json';
  return null;
}
