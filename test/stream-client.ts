// An ingest-stream client for tests inside workerd: opens GET /api/v1/metrics/stream through the
// worker and queues the server's frames, so a test can send frames and await answers in order.
import { SELF } from 'cloudflare:test';
import { STREAM_PATH, type StreamServerFrame } from '../protocol/ingest-stream.ts';
import type { CollectRequest } from '../protocol/ingest.ts';
import { BASE } from './helpers.ts';

export class StreamClient {
  private queue: StreamServerFrame[] = [];
  private waiting: ((m: StreamServerFrame) => void) | null = null;
  private seq = 0;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      const m = JSON.parse(e.data as string) as StreamServerFrame;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(m);
      } else this.queue.push(m);
    });
    this.closed = new Promise((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })));
  }

  /** The next frame; rejects if none comes within `ms` (a deadline, not a measurement). */
  next(ms = 5000): Promise<StreamServerFrame> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no stream frame within ${ms} ms`));
      }, ms);
      this.waiting = (msg) => {
        clearTimeout(timer);
        resolve(msg);
      };
    });
  }

  /** Sends a samples frame; returns its seq. */
  send(batch: CollectRequest, seq = ++this.seq): number {
    this.ws.send(JSON.stringify({ type: 'samples', seq, batch }));
    return seq;
  }

  /** Sends a frame and returns the answer to it. */
  async call(batch: CollectRequest): Promise<StreamServerFrame> {
    this.send(batch);
    return this.next();
  }

  pending(): number {
    return this.queue.length;
  }

  close() {
    this.ws.close(1000, 'done');
  }
}

export function streamQuery(host: string, extra: Record<string, string> = {}): string {
  return `${STREAM_PATH}?${new URLSearchParams({ host, name: `${host}.example`, os: 'linux', agentVersion: '0.1.0', ...extra })}`;
}

export function openStream(path: string, headers: Record<string, string>): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { headers: { upgrade: 'websocket', ...headers } });
}

/** Opens a stream for `host` with `key` and returns it after its `ready` frame. */
export async function connect(key: string, host: string): Promise<{ client: StreamClient; ready: Extract<StreamServerFrame, { type: 'ready' }> }> {
  const res = await openStream(streamQuery(host), { authorization: `Bearer ${key}` });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const client = new StreamClient(res.webSocket);
  const ready = await client.next();
  if (ready.type !== 'ready') throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
  return { client, ready };
}
