// The download core: what a GET /download/agent/<file> asks for, and the body that joins a
// compressed binary's asset parts back into one file. Takes an asset fetcher instead of the
// binding so that it is tested in workerd without a built agent (install.test.ts).
import { ENCODINGS, isPlatform, type DownloadManifest, type Encoding, type Platform } from '../../../agent/platforms.ts';

export type AssetFetch = (name: string) => Promise<Response>;

/** `linux-x64` (the binary), `linux-x64.sha256` (its checksum), `linux-x64.xz` / `.gz` (compressed). */
export type Wanted = { platform: Platform; kind: 'binary' | 'sha256' } | { platform: Platform; kind: 'compressed'; encoding: Encoding };

export function parseFile(file: string): Wanted | { unknown: string } {
  const dot = file.indexOf('.');
  const platform = dot < 0 ? file : file.slice(0, dot);
  const ext = dot < 0 ? '' : file.slice(dot + 1);
  if (!isPlatform(platform)) return { unknown: platform };
  if (ext === '') return { platform, kind: 'binary' };
  if (ext === 'sha256') return { platform, kind: 'sha256' };
  if (Object.hasOwn(ENCODINGS, ext)) return { platform, kind: 'compressed', encoding: ext as Encoding };
  return { unknown: file };
}

/**
 * The parts, in order, as one stream of exactly `size` bytes: a missing or short part errors the
 * stream (the client sees a failed transfer, never a short file that looks whole). One part at a
 * time, so at most one is in flight however slow the client is. `done` settles when the pump
 * ends, rejecting (after erroring the stream) with why it stopped; hand it to waitUntil.
 */
export function joinParts(asset: AssetFetch, parts: readonly string[], size: number): { body: ReadableStream<Uint8Array>; done: Promise<void> } {
  const { readable, writable } = new FixedLengthStream(size);
  const pump = async () => {
    let sent = 0;
    for (const part of parts) {
      const res = await asset(part);
      if (!res.ok || !res.body) throw new Error(`asset ${part} missing (${res.status})`);
      const count = new TransformStream<Uint8Array, Uint8Array>({ transform: (chunk, c) => void ((sent += chunk.byteLength), c.enqueue(chunk)) });
      await res.body.pipeThrough(count).pipeTo(writable, { preventClose: true });
    }
    if (sent !== size) throw new Error(`the parts hold ${sent} bytes, the manifest says ${size}`);
    await writable.close();
  };
  const done = pump().catch(async (e: unknown) => {
    await writable.abort(e).catch(() => undefined); // already errored when the client went away
    throw e;
  });
  return { body: readable, done };
}

/** The manifest when it is built, else null. */
export async function manifest(asset: AssetFetch, name: string): Promise<DownloadManifest | null> {
  const res = await asset(`${name}.json`);
  if (!res.ok) {
    await res.body?.cancel();
    return null;
  }
  const m = (await res.json()) as Partial<DownloadManifest>;
  // A manifest of the old layout (one uncompressed file in parts) is not servable: rebuild.
  return m.files?.gz && m.files.xz ? (m as DownloadManifest) : null;
}

/**
 * The unpacked binary, gunzipped on the way out (for a manual download; the installer fetches
 * the compressed file, which costs the Worker no decompression).
 */
export function binaryBody(asset: AssetFetch, m: DownloadManifest): { body: ReadableStream<Uint8Array>; done: Promise<void> } {
  const gz = joinParts(asset, m.files.gz.parts, m.files.gz.size);
  const out = new FixedLengthStream(m.size);
  // A failed part errors gz.body, and the pipe passes that on to the client's stream.
  const done = Promise.all([gz.done, gz.body.pipeThrough(new DecompressionStream('gzip')).pipeTo(out.writable)]).then(() => undefined);
  return { body: out.readable, done };
}
