// Reads a request body with a hard size cap, inflating gzip on the fly, so a small compressed
// body cannot expand past the limit (a zip bomb stops at maxBytes).
import { ApiError } from './errors.ts';

export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const encoding = (req.headers.get('content-encoding') ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip')
    throw new ApiError(415, 'unsupported_encoding', `Content-Encoding "${encoding}" is not supported; use gzip or none`, 'content-encoding');
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes)
    throw new ApiError(413, 'body_too_large', `body is ${declared} bytes; the limit is ${maxBytes}`, '(body)');
  if (!req.body) throw new ApiError(400, 'invalid_request', 'request body is empty', '(body)');
  let stream: ReadableStream<Uint8Array> = req.body;
  if (encoding === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new ApiError(413, 'body_too_large', `body exceeds ${maxBytes} bytes${encoding === 'gzip' ? ' after decompression' : ''}`, '(body)');
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'invalid_body', `could not read the body: ${encoding === 'gzip' ? 'invalid gzip data' : String(err)}`, '(body)');
  }
  const buf = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    buf.set(c, off);
    off += c.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
  } catch {
    throw new ApiError(400, 'invalid_body', 'body is not valid UTF-8', '(body)');
  }
}
