// Simulated hosts for the benchmarks, over either transport the agent has: the ingest stream
// (one WebSocket per host to its object, protocol/ingest-stream.ts) or the POST. `hostSender`
// gives one `send(batch)` for both, so a benchmark measures the same thing either way: from the
// send to the server's answer (the ack on the stream, the 200 on the POST). bench:cost imports
// this too.
import { gzipSync } from 'node:zlib';
import { fetch } from 'undici';
import WebSocket from 'ws';
import { streamUrl, StreamServerFrame, type StreamAck, type StreamReady } from '../../protocol/ingest-stream.ts';
import type { CollectRequest, HostInfo } from '../../protocol/ingest.ts';

export type Transport = 'ws' | 'http';

export function parseTransport(v: string): Transport {
  if (v !== 'ws' && v !== 'http') throw new Error(`--transport must be ws or http, got "${v}"`);
  return v;
}

export interface SendResult {
  ok: boolean;
  /** 200 for an ack; the HTTP status on the POST; 0 when the socket failed. */
  status: number;
  durableThrough: number | null;
  /** The error text when not ok. */
  error?: string;
}

type Waiter = (r: SendResult) => void;

/** One host's stream: frames out, acks back by seq. */
export class HostStream {
  private waiters = new Map<number, Waiter>();
  private seq = 0;
  ready: StreamReady | null = null;
  closed: { code: number; reason: string } | null = null;
  /** Frames sent and acks received (what the platform bills: incoming messages). */
  framesSent = 0;
  acks = 0;

  private constructor(readonly ws: WebSocket) {}

  static open(serverUrl: string, key: string, host: HostInfo, timeoutMs = 30_000): Promise<HostStream> {
    const ws = new WebSocket(streamUrl(serverUrl, host), { headers: { authorization: `Bearer ${key}` }, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    const s = new HostStream(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stream for ${host.id}: no ready within ${timeoutMs} ms`)), timeoutMs);
      ws.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`stream for ${host.id}: upgrade refused with HTTP ${res.statusCode}`));
      });
      ws.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      ws.on('close', (code, reason) => {
        s.closed = { code, reason: String(reason) };
        for (const w of s.waiters.values()) w({ ok: false, status: 0, durableThrough: null, error: `closed ${code} ${String(reason)}` });
        s.waiters.clear();
      });
      ws.on('message', (data) => {
        const f = StreamServerFrame.parse(JSON.parse(String(data)));
        if (f.type === 'ready') {
          s.ready = f;
          clearTimeout(timer);
          resolve(s);
          return;
        }
        if (f.type === 'pong' || f.seq === null) return;
        const w = s.waiters.get(f.seq);
        if (!w) return;
        s.waiters.delete(f.seq);
        if (f.type === 'ack') {
          s.acks++;
          w({ ok: true, status: 200, durableThrough: (f as StreamAck).durableThrough });
        } else w({ ok: false, status: f.code === 'rate_limited' ? 429 : 400, durableThrough: null, error: `${f.code}: ${f.message}` });
      });
    });
  }

  send(batch: CollectRequest): Promise<SendResult> {
    if (this.closed) return Promise.resolve({ ok: false, status: 0, durableThrough: null, error: `closed ${this.closed.code}` });
    const seq = ++this.seq;
    this.framesSent++;
    return new Promise((resolve) => {
      this.waiters.set(seq, resolve);
      this.ws.send(JSON.stringify({ type: 'samples', seq, batch }));
    });
  }

  close() {
    this.ws.close(1000, 'bench done');
  }
}

/** One send function for many simulated hosts over `transport`; streams are opened on first use and kept. */
export function hostSender(transport: Transport, serverUrl: string, key: string, { openTimeoutMs = 60_000 } = {}) {
  const streams = new Map<string, Promise<HostStream>>();
  const stream = (host: HostInfo) => {
    let s = streams.get(host.id);
    if (!s) {
      s = HostStream.open(serverUrl, key, host, openTimeoutMs);
      streams.set(host.id, s);
      s.catch(() => streams.delete(host.id));
    }
    return s;
  };
  return {
    transport,
    /** Opens the host's stream now (ws) so the first send does not pay for the upgrade; a no-op for http. */
    async connect(host: HostInfo): Promise<void> {
      if (transport === 'ws') await stream(host);
    },
    async send(batch: CollectRequest): Promise<SendResult> {
      if (transport === 'ws') {
        try {
          // An upgrade that fails (a cold fleet on a loaded machine) is tried once more, as the agent would.
          const s = await stream(batch.host).catch(() => stream(batch.host));
          // A socket closed by the server (maximum age) is reopened once, as the agent does.
          if (s.closed) {
            streams.delete(batch.host.id);
            return (await stream(batch.host)).send(batch);
          }
          return await s.send(batch);
        } catch (err) {
          return { ok: false, status: 0, durableThrough: null, error: String(err) };
        }
      }
      const res = await fetch(`${serverUrl}/api/v1/metrics/collect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(batch)),
      });
      const text = await res.text();
      if (!res.ok) return { ok: false, status: res.status, durableThrough: null, error: text.slice(0, 300) };
      return { ok: true, status: res.status, durableThrough: (JSON.parse(text) as { durableThrough?: number | null }).durableThrough ?? null };
    },
    /** Frames sent over all streams (ws), for the cost count. */
    async framesSent(): Promise<number> {
      let n = 0;
      for (const s of streams.values()) n += await s.then((x) => x.framesSent).catch(() => 0);
      return n;
    },
    async close(): Promise<void> {
      for (const s of streams.values()) await s.then((x) => x.close()).catch(() => {});
      streams.clear();
    },
  };
}

export type HostSender = ReturnType<typeof hostSender>;

/**
 * bench:cost's transport (bench/cost.ts): one host's stream, billed as one Worker request for the
 * upgrade and one incoming message per frame. `immediate` (the bench's last hand-over) goes as a
 * POST, which writes before it answers, as the agent's last send on stop does.
 */
export async function hostStream(serverUrl: string, key: string, host: string) {
  const info: HostInfo = { id: host, name: host, os: 'linux', agentVersion: 'bench' };
  let s = await HostStream.open(serverUrl, key, info);
  const post = hostSender('http', serverUrl, key);
  const t = {
    workerRequests: 1,
    wsMessages: 0,
    async send(samples: CollectRequest['samples'], opts: { immediate?: boolean } = {}) {
      const batch: CollectRequest = { host: info, batchId: `${host}-${samples[0]!.ts}`, samples };
      if (opts.immediate) {
        t.workerRequests++;
        return post.send(batch);
      }
      if (s.closed) {
        s = await HostStream.open(serverUrl, key, info); // past its maximum age: reconnect, as the agent does
        t.workerRequests++;
      }
      t.wsMessages++;
      return s.send(batch);
    },
    async close() {
      s.close();
    },
  };
  return t;
}
