// The agent's default transport: one WebSocket to the host's object (GET /api/v1/metrics/stream,
// protocol/ingest-stream.ts). It sends the same gzipped batches the shipper spools, one frame at
// a time, and answers with the object's ack (received, durableThrough). When the upgrade fails (a
// proxy that blocks WebSockets, an older server) or the socket drops, the same batch goes by
// HTTP POST instead, and the socket is tried again after a backoff (exponential, ±25 % jitter,
// capped): the shipper above never loses or repeats a batch whichever path carried it, because
// the server stores a sample once per timestamp.
import { gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { streamUrl, StreamServerFrame, type StreamAck } from '../protocol/ingest-stream.ts';
import type { CollectRequest, HostInfo } from '../protocol/index.ts';
import type { Logger } from './log.ts';
import { silentLogger } from './log.ts';
import type { SendOutcome, Transport } from './transport.ts';
import { AGENT_VERSION } from './version.ts';

export interface StreamTransportOptions {
  serverUrl: string;
  apiKey: string;
  host: HostInfo;
  /** Used for a batch whenever the socket cannot carry it. */
  fallback: Transport;
  /** Per frame (and per upgrade): no answer within this is a failed attempt. */
  timeoutMs?: number;
  /** First delay before the socket is tried again after a failed upgrade; doubles to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Longest wait honoured for a rate-limited frame. */
  maxRetryAfterMs?: number;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface StreamTransport {
  send: Transport;
  /** 'ws' while the socket is open, else 'http' (fallback) or 'idle'. */
  mode(): 'ws' | 'http' | 'idle';
  /** Upgrades attempted and failed since start (health and tests). */
  readonly stats: { connects: number; upgradeFailures: number; fallbackSends: number; frames: number };
  close(): void;
}

/** `epoch` is the socket's epoch when the frame arrived: an ack read in the same chunk as a later `ready` belongs to the instance before it. */
type Answer = { kind: 'frame'; frame: StreamServerFrame; epoch: string } | { kind: 'closed'; code: number; reason: string } | { kind: 'timeout' };

const sleepMs = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));
const FINAL = new Set(['invalid_frame', 'too_large', 'host_mismatch']);

class Socket {
  private waiters = new Map<number, (a: Answer) => void>();
  /** Changes whenever the object says `ready` again (it restarted with the socket open). */
  epoch: string;
  closed: { code: number; reason: string } | null = null;

  constructor(
    readonly ws: WebSocket,
    private readonly name: string,
    private readonly onReady: () => void,
  ) {
    this.epoch = `${name}.0`;
    let readies = 0;
    ws.on('message', (data) => {
      let frame: StreamServerFrame;
      try {
        frame = StreamServerFrame.parse(JSON.parse(String(data)));
      } catch {
        return; // not ours to understand (a newer server's frame type)
      }
      if (frame.type === 'ready') {
        this.epoch = `${this.name}.${++readies}`;
        this.onReady();
        return;
      }
      if (frame.type === 'pong') return;
      const seq = frame.seq;
      const w = seq === null ? undefined : this.waiters.get(seq);
      if (w) {
        this.waiters.delete(seq!);
        w({ kind: 'frame', frame, epoch: this.epoch });
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const w of this.waiters.values()) w({ kind: 'closed', code, reason: String(reason) });
      this.waiters.clear();
    });
    ws.on('error', () => {}); // a close follows
  }

  /** Sends a frame and waits for the answer to its seq. */
  call(seq: number, batch: CollectRequest, timeoutMs: number): Promise<Answer> {
    if (this.closed) return Promise.resolve({ kind: 'closed', ...this.closed });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(seq);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiters.set(seq, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.ws.send(JSON.stringify({ type: 'samples', seq, batch }));
    });
  }
}

export function streamTransport(o: StreamTransportOptions): StreamTransport {
  const url = streamUrl(o.serverUrl, o.host);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const base = o.backoffMs ?? 1_000;
  const maxBackoff = o.maxBackoffMs ?? 5 * 60_000;
  const maxRetryAfter = o.maxRetryAfterMs ?? 30_000;
  const log = o.log ?? silentLogger;
  const sleep = o.sleep ?? sleepMs;
  const stats = { connects: 0, upgradeFailures: 0, fallbackSends: 0, frames: 0 };
  let socket: Socket | null = null;
  let failures = 0;
  let retryAt = 0;
  let seq = 0;
  let closed = false;

  const backoff = () => Math.min(maxBackoff, base * 2 ** Math.min(failures - 1, 20)) * (0.75 + Math.random() * 0.5);

  const connect = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      stats.connects++;
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${o.apiKey}`, 'user-agent': `pulse-agent/${AGENT_VERSION}` }, handshakeTimeout: timeoutMs });
      const s = new Socket(ws, String(stats.connects), () => {
        // The first `ready` opens the stream; a later one means the object restarted.
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          resolve(s);
        } else log.info('the server restarted the stream; unconfirmed samples will be sent again', {});
      });
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail(`no "ready" within ${timeoutMs} ms`), timeoutMs);
      // Node's ws reports the refused upgrade's status; Bun's reports only an error.
      ws.on('unexpected-response', (_req, res) => fail(`upgrade refused: HTTP ${res.statusCode}`));
      ws.on('error', (e) => fail(e.message));
      ws.on('close', (code, reason) => fail(`closed before ready: ${code} ${String(reason)}`));
    });

  /** The open socket, or null when the upgrade fails (then POST until the backoff passes). */
  const open = async (): Promise<Socket | null> => {
    if (socket && !socket.closed) return socket;
    socket = null;
    if (closed || Date.now() < retryAt) return null;
    try {
      socket = await connect();
      if (failures > 0) log.info('streaming again', { url: url.replace(/\?.*/, '') });
      failures = 0;
      return socket;
    } catch (e) {
      failures++;
      const wait = backoff();
      retryAt = Date.now() + wait;
      stats.upgradeFailures++;
      // Logged on the first failure of a run of them, at DEBUG after.
      (failures === 1 ? log.warning : log.debug).call(log, 'cannot open the stream; sending by HTTP POST meanwhile', { error: (e as Error).message, retryInMs: Math.round(wait) });
      return null;
    }
  };

  const send: Transport = async (body, batchId, retries) => {
    const t0 = performance.now();
    let failedAttempts = 0;
    let last: SendOutcome | undefined;
    let batch: CollectRequest | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const s = await open();
      if (!s) {
        stats.fallbackSends++;
        const r = await o.fallback(body, batchId, retries - attempt);
        return { ...r, attempts: r.attempts + attempt, failedAttempts: r.failedAttempts + failedAttempts };
      }
      batch ??= JSON.parse(gunzipSync(body).toString('utf8')) as CollectRequest;
      stats.frames++;
      const a = await s.call(++seq, batch, timeoutMs);
      const durationMs = performance.now() - t0;
      const common = { attempts: attempt + 1, durationMs };
      if (a.kind === 'frame' && a.frame.type === 'ack') {
        const ack: StreamAck = a.frame;
        return { kind: 'ok', status: 200, ...common, failedAttempts, durableThrough: ack.durableThrough, received: ack.received, epoch: a.epoch };
      }
      failedAttempts++;
      if (a.kind === 'frame' && a.frame.type === 'error') {
        const e = a.frame;
        if (FINAL.has(e.code)) return { kind: 'rejected', status: 400, ...common, failedAttempts, error: { error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) } } };
        last = { kind: 'failed', status: e.code === 'rate_limited' ? 429 : 503, ...common, failedAttempts, error: e.message };
        if (attempt < retries) await sleep(e.code === 'rate_limited' ? Math.min(e.retryAfterMs ?? base, maxRetryAfter) : base * 2 ** attempt);
        continue;
      }
      // Closed or silent: drop the socket; the next attempt reconnects at once or goes by POST.
      last = { kind: 'failed', ...common, failedAttempts, error: a.kind === 'closed' ? `stream closed: ${a.code} ${a.reason}` : `no answer within ${timeoutMs} ms` };
      log.debug('stream attempt failed', { batchId, attempt: attempt + 1, error: last.error });
      if (a.kind === 'timeout') s.ws.terminate();
      socket = null;
    }
    return last!;
  };

  return {
    send,
    stats,
    mode: () => (socket && !socket.closed ? 'ws' : failures > 0 ? 'http' : 'idle'),
    close() {
      closed = true;
      socket?.ws.close(1000, 'agent stopping');
      socket = null;
    },
  };
}
