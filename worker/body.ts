// Reads a request body with a hard size cap, inflating gzip with a cap on the output, so a small
// compressed body cannot expand past the limit (a zip bomb stops at maxBytes).
// node:zlib (native in workerd) is used because, profiled, stream-based DecompressionStream cost
// more CPU per request than everything else in the ingest path (docs/performance.md).
import { gunzipSync } from 'node:zlib';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { ApiError } from './errors.ts';
import { BODY_LIMITS } from './limits.ts';
import type { AppEnv } from './types.ts';

/** One decoder for every request: decode() without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

async function readCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared)) {
    if (declared > maxBytes) throw new ApiError(413, 'body_too_large', `body is ${declared} bytes; the limit is ${maxBytes}`, '(body)');
    return new Uint8Array(await req.arrayBuffer());
  }
  // Chunked upload of unknown size: count as it arrives.
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ApiError(413, 'body_too_large', `body exceeds ${maxBytes} bytes`, '(body)');
    }
    chunks.push(value);
  }
  const buf = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    buf.set(c, off);
    off += c.byteLength;
  }
  return buf;
}

/** The body's bytes, gunzipped under the cap (Content-Encoding gzip or none). */
export async function readBodyBytes(req: Request, maxBytes: number, opts: { allowEmpty?: boolean } = {}): Promise<Uint8Array> {
  const encoding = (req.headers.get('content-encoding') ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip')
    throw new ApiError(415, 'unsupported_encoding', `Content-Encoding "${encoding}" is not supported; use gzip or none`, 'content-encoding');
  let bytes = await readCapped(req, maxBytes);
  if (bytes.byteLength === 0) {
    if (opts.allowEmpty) return bytes;
    throw new ApiError(400, 'invalid_request', 'request body is empty', '(body)');
  }
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (err) {
      if (err instanceof RangeError || /maxOutputLength|buffer/i.test(String(err)))
        throw new ApiError(413, 'body_too_large', `body exceeds ${maxBytes} bytes after decompression`, '(body)');
      throw new ApiError(400, 'invalid_body', 'could not read the body: invalid gzip data', '(body)');
    }
  }
  return bytes;
}

export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const bytes = await readBodyBytes(req, maxBytes);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_body', 'body is not valid UTF-8', '(body)');
  }
}

/**
 * The cap on every other request body of the API (BODY_LIMITS.jsonBytes), counted as it
 * arrives when no Content-Length is sent. Ingest reads its own, larger body above.
 */
const capJson = bodyLimit({
  maxSize: BODY_LIMITS.jsonBytes,
  onError: () => {
    throw new ApiError(413, 'body_too_large', `request body exceeds the ${BODY_LIMITS.jsonBytes}-byte limit for this endpoint`, '(body)');
  },
});
const OWN_BODY_LIMIT = new Set(['/api/v1/metrics/collect', '/api/v1/logs']);
export const jsonBodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  if (OWN_BODY_LIMIT.has(c.req.path)) return next();
  return capJson(c, next);
});
