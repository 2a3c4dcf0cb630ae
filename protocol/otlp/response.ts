// Bodies the OTLP/HTTP routes answer with: Export<Signal>ServiceResponse (empty, or with
// partial_success) and google.rpc.Status for errors, as protobuf or JSON like the request.
export type OtlpKind = 'traces' | 'metrics' | 'logs';
export type OtlpEncoding = 'protobuf' | 'json';

const REJECTED = { traces: 'rejectedSpans', metrics: 'rejectedDataPoints', logs: 'rejectedLogRecords' } as const;

const textEncoder = new TextEncoder();

function varint(out: number[], v: number): void {
  // Non-negative values up to 2^53; negative int32 (only a Status code could be) as 10 bytes.
  if (v < 0) {
    let lo = v >>> 0;
    for (let i = 0; i < 4; i++, lo >>>= 7) out.push((lo & 0x7f) | 0x80);
    out.push((lo & 0x0f) | 0x70 | 0x80, 0xff, 0xff, 0xff, 0xff, 0x01);
    return;
  }
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function lengthDelimited(out: number[], tag: number, bytes: ArrayLike<number>): void {
  out.push(tag);
  varint(out, bytes.length);
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

/** The Export…ServiceResponse; `partial` adds partial_success (rejected count, message). */
export function encodeExportResponse(kind: OtlpKind, encoding: 'protobuf', partial?: { rejected: number; message: string }): Uint8Array;
export function encodeExportResponse(kind: OtlpKind, encoding: 'json', partial?: { rejected: number; message: string }): string;
export function encodeExportResponse(kind: OtlpKind, encoding: OtlpEncoding, partial?: { rejected: number; message: string }): Uint8Array | string;
export function encodeExportResponse(kind: OtlpKind, encoding: OtlpEncoding, partial?: { rejected: number; message: string }): Uint8Array | string {
  const rejected = Math.max(0, Math.trunc(partial?.rejected ?? 0));
  const message = partial?.message ?? '';
  if (encoding === 'json') {
    if (!partial) return '{}';
    const ps: Record<string, string> = {};
    // int64 is a decimal string in the protobuf JSON mapping.
    if (rejected) ps[REJECTED[kind]] = String(rejected);
    if (message) ps.errorMessage = message;
    return JSON.stringify({ partialSuccess: ps });
  }
  if (!partial) return new Uint8Array(0);
  const inner: number[] = [];
  if (rejected) {
    inner.push(0x08);
    varint(inner, rejected);
  }
  if (message) lengthDelimited(inner, 0x12, textEncoder.encode(message));
  const out: number[] = [];
  lengthDelimited(out, 0x0a, inner);
  return Uint8Array.from(out);
}

/** google.rpc.Status { int32 code = 1; string message = 2; } (details are not sent). */
export function encodeStatus(code: number, message: string, encoding: 'protobuf'): Uint8Array;
export function encodeStatus(code: number, message: string, encoding: 'json'): string;
export function encodeStatus(code: number, message: string, encoding: OtlpEncoding): Uint8Array | string;
export function encodeStatus(code: number, message: string, encoding: OtlpEncoding): Uint8Array | string {
  const c = Math.trunc(code) | 0;
  if (encoding === 'json') return JSON.stringify({ code: c, message });
  const out: number[] = [];
  if (c !== 0) {
    out.push(0x08);
    varint(out, c);
  }
  if (message) lengthDelimited(out, 0x12, textEncoder.encode(message));
  return Uint8Array.from(out);
}
