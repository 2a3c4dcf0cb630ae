// OTLP/HTTP plumbing shared by /v1/traces, /v1/metrics and /v1/logs, as the OTLP specification
// says: protobuf or JSON in, the answer in the request's encoding, errors as google.rpc.Status.
import type { Context } from 'hono';
import { APM_LIMITS } from '../../protocol/apm.ts';
import { encodeExportResponse, encodeStatus, OtlpDecodeError, otlpEncoding, type OtlpEncoding } from '../../protocol/otlp/index.ts';
import { readBodyBytes } from '../body.ts';
import { ApiError } from '../errors.ts';
import type { AppEnv } from '../types.ts';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** google.rpc.Code for an HTTP status (the Status body carries both). */
function rpcCode(status: number): number {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return 13; // INTERNAL
  }
}

function statusResponse(status: number, message: string, encoding: OtlpEncoding, headers: Record<string, string> = {}): Response {
  return new Response(encodeStatus(rpcCode(status), message, encoding), {
    status,
    headers: { 'content-type': CONTENT_TYPES[encoding], ...headers },
  });
}

/**
 * The error handler of the OTLP sub-app: every failure, authentication included, is a
 * google.rpc.Status in the request's encoding (JSON when the type is not one OTLP knows).
 */
export function otlpError(err: unknown, c: Context<AppEnv>): Response {
  const encoding = otlpEncoding(c.req.header('content-type')) ?? 'json';
  if (err instanceof OtlpDecodeError) return statusResponse(400, err.message, encoding);
  if (err instanceof ApiError) return statusResponse(err.status, err.message, encoding, err.headers);
  console.error(JSON.stringify({ msg: 'unhandled error', path: new URL(c.req.url).pathname, error: String(err), stack: (err as Error)?.stack }));
  return statusResponse(500, 'internal error', encoding);
}

/** The body's bytes and encoding; 415 for another Content-Type or encoding, 413 past the cap. */
export async function readOtlpBody(c: Context<AppEnv>): Promise<{ body: Uint8Array; encoding: OtlpEncoding }> {
  const encoding = otlpEncoding(c.req.header('content-type'));
  if (!encoding)
    throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/x-protobuf or application/json', 'content-type');
  // An empty protobuf body is a valid, empty export request.
  const body = await readBodyBytes(c.req.raw, APM_LIMITS.maxBodyBytes, { allowEmpty: encoding === 'protobuf' });
  return { body, encoding };
}

/** A request body's id (16 bytes of SHA-256, hex): an SDK's retry of the same body is the same batch. */
export async function bodyDigest(body: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  let hex = '';
  for (let i = 0; i < 16; i++) hex += hash[i]!.toString(16).padStart(2, '0');
  return hex;
}

/** 200 with an Export…ServiceResponse, with partial_success when some records were rejected. */
export function exportResponse(signal: OtlpSignal, encoding: OtlpEncoding, rejected: number, message: string): Response {
  const partial = rejected > 0 ? { rejected, message } : undefined;
  return new Response(encodeExportResponse(signal, encoding, partial), { status: 200, headers: { 'content-type': CONTENT_TYPES[encoding] } });
}
