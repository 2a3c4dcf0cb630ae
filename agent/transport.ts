// POSTs one gzipped CollectRequest body to the server, with up to N retries and backoff.
// 4xx answers other than 408 and 429 are final: the same body would be refused again.
import { gzipSync } from 'node:zlib';
import type { CollectRequest } from '../protocol/index.ts';
import type { Logger } from './log.ts';
import { silentLogger } from './log.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * What the server said is durable (protocol/ingest-stream.ts): `durableThrough` from the answer
 * (absent from a server that predates it: then an answer means stored), `received` the batch's
 * newest timestamp when the transport knows it, `epoch` the connection the answer came on (a
 * sample acknowledged on one connection is durable only by that connection's durableThrough).
 */
export interface Durability {
  durableThrough?: number | null;
  received?: number;
  epoch?: string;
}

export type SendOutcome =
  | ({ kind: 'ok'; status: number; attempts: number; failedAttempts: number; durationMs: number } & Durability)
  | { kind: 'rejected'; status: number; error: unknown; attempts: number; failedAttempts: number; durationMs: number }
  | { kind: 'failed'; status?: number; error: unknown; attempts: number; failedAttempts: number; durationMs: number };

/** Sends a body (already gzipped) with at most `retries` retries after the first attempt. */
export type Transport = (body: Uint8Array, batchId: string, retries: number) => Promise<SendOutcome>;

export function encodeBatch(batch: CollectRequest): Uint8Array {
  return gzipSync(JSON.stringify(batch));
}

export function collectUrl(serverUrl: string): string {
  // Keep any path prefix of the server URL (a reverse proxy under /monitor, say).
  return serverUrl.replace(/\/+$/, '') + '/api/v1/metrics/collect';
}

export interface HttpTransportOptions {
  serverUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** First retry delay; doubles per retry, with jitter (default 1 s). */
  backoffMs?: number;
  maxRetryAfterMs?: number;
  log?: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const sleepMs = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Retry-After in seconds or as an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(header);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

export function httpTransport(o: HttpTransportOptions): Transport {
  const url = collectUrl(o.serverUrl);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const backoff = o.backoffMs ?? 1_000;
  const maxRetryAfter = o.maxRetryAfterMs ?? 30_000;
  const log = o.log ?? silentLogger;
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? sleepMs;

  return async (body, batchId, retries) => {
    let failedAttempts = 0;
    let last: SendOutcome | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const t0 = performance.now();
      let waitMs = backoff * 2 ** attempt * (0.75 + Math.random() * 0.5);
      try {
        const res = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            authorization: `Bearer ${o.apiKey}`,
            'user-agent': `pulse-agent/${AGENT_VERSION}`,
          },
          body: body as Uint8Array<ArrayBuffer>,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        const durationMs = performance.now() - t0;
        const common = { status: res.status, attempts: attempt + 1, durationMs };
        if (res.ok) return { kind: 'ok', ...common, failedAttempts, epoch: 'http', ...durabilityOf(text) };
        failedAttempts++;
        const error = parseError(text, res);
        if (res.status >= 300 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          return { kind: 'rejected', ...common, failedAttempts, error };
        }
        last = { kind: 'failed', ...common, failedAttempts, error };
        const ra = retryAfterMs(res.headers.get('retry-after'));
        if (ra !== undefined) waitMs = Math.min(ra, maxRetryAfter);
        log.debug('send attempt failed', { batchId, attempt: attempt + 1, status: res.status, error });
      } catch (e) {
        failedAttempts++;
        const error = e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
        last = { kind: 'failed', attempts: attempt + 1, failedAttempts, durationMs: performance.now() - t0, error };
        log.debug('send attempt failed', { batchId, attempt: attempt + 1, error });
      }
      if (attempt < retries) await sleep(waitMs);
    }
    return last!;
  };
}

/** The answer's durableThrough, when the server sends one. */
function durabilityOf(text: string): Durability {
  try {
    const d = (JSON.parse(text) as { durableThrough?: unknown }).durableThrough;
    return d === null || typeof d === 'number' ? { durableThrough: d } : {};
  } catch {
    return {};
  }
}

/** The server's JSON error envelope when there is one, else the start of the text. */
function parseError(text: string, res: Response): unknown {
  if (res.status >= 300 && res.status < 400) return `redirected to ${res.headers.get('location') ?? '?'}; use that URL as the server`;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 500) || `HTTP ${res.status}`;
  }
}
